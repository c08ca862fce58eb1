package dev.weft.cli;

import dev.weft.api.security.SecretFiles;
import java.nio.file.Path;

/**
 * The bearer token a weft command sends ({@code --token-file}): the first field of the first line
 * that is neither blank nor a {@code #} comment, so a file holding just the token works, and so
 * does a server's token file (whose first token is then used). The file must be private.
 */
final class ClientToken {
  private ClientToken() {}

  /**
   * @throws IllegalArgumentException naming the file when it is missing, open to other users or
   *     holds no token
   */
  static String read(Path file) {
    String text = SecretFiles.readPrivate(file, "token file");
    for (String line : text.split("\r?\n")) {
      String t = line.strip();
      if (!t.isEmpty() && !t.startsWith("#")) {
        return t.split("\\s+")[0];
      }
    }
    throw new IllegalArgumentException("token file " + file + " holds no token");
  }
}
