package dev.weft.api.security;

import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.util.List;
import java.util.Objects;
import java.util.Optional;

/**
 * Checks a presented bearer token against those of a {@link TokenFile}, in time that does not
 * depend on how much of a token matched or which one did.
 *
 * <p>Only SHA-256 digests of the tokens are kept: comparing equal-length digests with {@link
 * MessageDigest#isEqual} hides the tokens' lengths and common prefixes, and every entry is compared
 * on every call. Thread-safe and immutable.
 */
public final class BearerTokens {
  private record Known(byte[] digest, Principal principal) {}

  private final List<Known> known;
  private final String source;

  private BearerTokens(List<Known> known, String source) {
    this.known = known;
    this.source = source;
  }

  /** The tokens of {@code file}. */
  public static BearerTokens of(TokenFile file) {
    Objects.requireNonNull(file, "file");
    return new BearerTokens(
        file.entries().stream().map(e -> new Known(digest(e.token()), e.principal())).toList(),
        file.source());
  }

  /** Who holds {@code presented}, or empty for a token this server does not know (or null). */
  public Optional<Principal> authenticate(String presented) {
    if (presented == null) {
      return Optional.empty();
    }
    byte[] digest = digest(presented);
    Principal found = null;
    for (Known k : known) {
      // No early exit: the time taken says nothing about which entry matched.
      if (MessageDigest.isEqual(k.digest(), digest)) {
        found = k.principal();
      }
    }
    return Optional.ofNullable(found);
  }

  /** How many tokens there are. */
  public int size() {
    return known.size();
  }

  /** How many tokens have {@code role}. */
  public long count(Role role) {
    return known.stream().filter(k -> k.principal().role() == role).count();
  }

  /** Where the tokens came from, for messages. */
  public String source() {
    return source;
  }

  private static byte[] digest(String token) {
    try {
      return MessageDigest.getInstance("SHA-256").digest(token.getBytes(StandardCharsets.UTF_8));
    } catch (NoSuchAlgorithmException e) {
      throw new IllegalStateException("every Java runtime has SHA-256", e);
    }
  }

  @Override
  public String toString() {
    return "BearerTokens[" + source + ", " + known.size() + " tokens]";
  }
}
