package dev.weft.api.security;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermission;
import java.nio.file.attribute.PosixFilePermissions;
import java.util.Set;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Reads files that hold secrets (token files, TLS private keys) and refuses those every user of the
 * machine can read, the way ssh treats private keys: a secret that leaked to another account is not
 * a secret, and failing at start is cheaper than finding out later.
 */
public final class SecretFiles {
  private static final Logger log = LoggerFactory.getLogger(SecretFiles.class);

  private SecretFiles() {}

  /**
   * The content of {@code file}, a private file holding {@code what} (such as "token file").
   *
   * @throws IllegalArgumentException when the file is missing, unreadable or readable or writable
   *     by every user
   */
  public static String readPrivate(Path file, String what) {
    requirePrivate(file, what);
    try {
      return Files.readString(file);
    } catch (IOException e) {
      throw new IllegalArgumentException("cannot read " + what + " " + file + ": " + e, e);
    }
  }

  /**
   * Checks that {@code file} exists and that other users can neither read nor write it; warns when
   * its group may write it. On file systems without POSIX permissions there is nothing to check.
   */
  public static void requirePrivate(Path file, String what) {
    if (!Files.isRegularFile(file)) {
      throw new IllegalArgumentException(
          what + " " + file + " does not exist or is not a regular file");
    }
    Set<PosixFilePermission> permissions;
    try {
      permissions = Files.getPosixFilePermissions(file); // follows symlinks (Kubernetes Secrets)
    } catch (UnsupportedOperationException e) {
      return;
    } catch (NoSuchFileException e) {
      throw new IllegalArgumentException(what + " " + file + " does not exist", e);
    } catch (IOException e) {
      throw new IllegalArgumentException("cannot read " + what + " " + file + ": " + e, e);
    }
    if (permissions.contains(PosixFilePermission.OTHERS_READ)
        || permissions.contains(PosixFilePermission.OTHERS_WRITE)) {
      throw new IllegalArgumentException(
          what
              + " "
              + file
              + " is open to every user of this machine ("
              + PosixFilePermissions.toString(permissions)
              + "); it holds secrets: chmod 600 "
              + file
              + " (for a Kubernetes Secret volume, set defaultMode: 0400)");
    }
    if (permissions.contains(PosixFilePermission.GROUP_WRITE)) {
      log.warn(
          "{} {} can be changed by its group ({}); chmod g-w it",
          what,
          file,
          PosixFilePermissions.toString(permissions));
    }
  }
}
