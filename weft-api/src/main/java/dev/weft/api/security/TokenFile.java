package dev.weft.api.security;

import java.nio.file.Path;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.regex.Pattern;

/**
 * The tokens a config API accepts, as written in a token file: one token a line, {@code TOKEN ROLE
 * [NAME]}, where ROLE is {@code read-only} or {@code read-write} and NAME (letters, digits, {@code
 * . _ @ -}) is what logs show instead of the token; blank lines and lines starting with {@code #}
 * are ignored.
 *
 * <p>The file must not be readable by other users. Tokens use the characters of RFC 6750 bearer
 * tokens and have at least {@value #MIN_TOKEN_LENGTH} of them ({@code openssl rand -hex 32} makes a
 * good one). Error messages name the file and line, never the token.
 */
public final class TokenFile {
  /**
   * Shortest token accepted; guessing one at the rate limit would take longer than the universe.
   */
  public static final int MIN_TOKEN_LENGTH = 16;

  // RFC 6750 b64token: ALPHA / DIGIT / "-" / "." / "_" / "~" / "+" / "/", then "=" padding.
  private static final Pattern TOKEN = Pattern.compile("[A-Za-z0-9._~+/-]+=*");
  private static final Pattern NAME = Pattern.compile("[A-Za-z0-9._@-]{1,64}");

  /** One line of the file. {@link #toString()} leaves the token out. */
  public record Entry(String token, Principal principal, int line) {
    public Entry {
      Objects.requireNonNull(token, "token");
      Objects.requireNonNull(principal, "principal");
    }

    @Override
    public String toString() {
      return "Entry[" + principal.name() + ", " + principal.role() + ", line " + line + "]";
    }
  }

  private final String source;
  private final List<Entry> entries;

  private TokenFile(String source, List<Entry> entries) {
    this.source = source;
    this.entries = List.copyOf(entries);
  }

  /**
   * Reads and checks a token file.
   *
   * @throws IllegalArgumentException naming the file and line when it is missing, open to other
   *     users, malformed or holds no token
   */
  public static TokenFile read(Path file) {
    String text = SecretFiles.readPrivate(file, "token file");
    return parse(text, file.toString());
  }

  /** Parses the text of a token file; {@code source} names it in messages. */
  public static TokenFile parse(String text, String source) {
    List<Entry> entries = new ArrayList<>();
    Map<String, Integer> lineOfToken = new HashMap<>();
    Map<String, Integer> lineOfName = new HashMap<>();
    String[] lines = text.split("\r?\n", -1);
    for (int i = 0; i < lines.length; i++) {
      int line = i + 1;
      String trimmed = lines[i].strip();
      if (trimmed.isEmpty() || trimmed.startsWith("#")) {
        continue;
      }
      String[] fields = trimmed.split("\\s+");
      String where = source + " line " + line + ": ";
      if (fields.length < 2 || fields.length > 3) {
        throw new IllegalArgumentException(
            where
                + "expected TOKEN ROLE [NAME] (ROLE read-only or read-write), found "
                + fields.length
                + (fields.length == 1 ? " field" : " fields"));
      }
      String token = fields[0];
      if (!TOKEN.matcher(token).matches()) {
        throw new IllegalArgumentException(
            where
                + "the token has characters a bearer token cannot have; use letters, digits and"
                + " - . _ ~ + / (openssl rand -hex 32 makes a good token)");
      }
      if (token.length() < MIN_TOKEN_LENGTH) {
        throw new IllegalArgumentException(
            where
                + "the token has "
                + token.length()
                + " characters, fewer than "
                + MIN_TOKEN_LENGTH
                + "; use a long random token (openssl rand -hex 32)");
      }
      Role role =
          Role.parse(fields[1])
              .orElseThrow(
                  () ->
                      new IllegalArgumentException(
                          where + "role \"" + fields[1] + "\" is not read-only or read-write"));
      String name = fields.length == 3 ? fields[2] : "token-line-" + line;
      if (!NAME.matcher(name).matches()) {
        throw new IllegalArgumentException(
            where
                + "name \""
                + name
                + "\" must be 1 to 64 letters, digits or . _ @ - (it is what logs show)");
      }
      Integer earlier = lineOfToken.putIfAbsent(token, line);
      if (earlier != null) {
        throw new IllegalArgumentException(
            where + "the same token as line " + earlier + "; give every client its own token");
      }
      Integer named = lineOfName.putIfAbsent(name, line);
      if (named != null) {
        throw new IllegalArgumentException(
            where + "name \"" + name + "\" is already used on line " + named);
      }
      entries.add(new Entry(token, new Principal(name, role), line));
    }
    if (entries.isEmpty()) {
      throw new IllegalArgumentException(
          source
              + " holds no token (expected lines TOKEN ROLE [NAME]); every request would be"
              + " refused");
    }
    return new TokenFile(source, entries);
  }

  /** Where the tokens came from, for messages. */
  public String source() {
    return source;
  }

  public List<Entry> entries() {
    return entries;
  }

  /** How many tokens have {@code role}. */
  public long count(Role role) {
    return entries.stream().filter(e -> e.principal().role() == role).count();
  }

  @Override
  public String toString() {
    return "TokenFile[" + source + ", " + entries.size() + " tokens]";
  }
}
