package dev.weft.api.security;

/**
 * How the config API protects itself: the bearer tokens it requires (null: none, which {@link
 * dev.weft.api.ConfigApiServer} allows on loopback only), the TLS identity it serves HTTPS with
 * (null: plain HTTP), the largest request body and the per-client rate limit.
 *
 * <p>{@link #defaults()} suits a developer's machine: loopback, no token, no TLS, 1 MiB bodies and
 * {@link RateLimit#DEFAULT}. Immutable; change it with the {@code with} methods.
 */
public record ApiSecurity(
    BearerTokens tokens, TlsIdentity tls, long maxBodyBytes, RateLimit rateLimit) {
  /** Largest request body by default: one object or manifest document is far smaller. */
  public static final long DEFAULT_MAX_BODY_BYTES = 1024 * 1024;

  public ApiSecurity {
    if (maxBodyBytes < 1) {
      throw new IllegalArgumentException(
          "the largest request body must be at least 1 byte, not " + maxBodyBytes);
    }
    if (rateLimit == null) {
      throw new IllegalArgumentException("a rate limit is required (RateLimit.OFF for none)");
    }
  }

  public static ApiSecurity defaults() {
    return new ApiSecurity(null, null, DEFAULT_MAX_BODY_BYTES, RateLimit.DEFAULT);
  }

  /** Every request must carry one of {@code tokens}; null requires none. */
  public ApiSecurity withTokens(BearerTokens tokens) {
    return new ApiSecurity(tokens, tls, maxBodyBytes, rateLimit);
  }

  /** Serve HTTPS with {@code tls}; null serves plain HTTP. */
  public ApiSecurity withTls(TlsIdentity tls) {
    return new ApiSecurity(tokens, tls, maxBodyBytes, rateLimit);
  }

  public ApiSecurity withMaxBodyBytes(long maxBodyBytes) {
    return new ApiSecurity(tokens, tls, maxBodyBytes, rateLimit);
  }

  public ApiSecurity withRateLimit(RateLimit rateLimit) {
    return new ApiSecurity(tokens, tls, maxBodyBytes, rateLimit);
  }

  /** Whether requests need a bearer token. */
  public boolean requiresTokens() {
    return tokens != null;
  }

  /** {@code maxBodyBytes} for people: {@code 1 MiB}, {@code 64 KiB} or {@code 1000 bytes}. */
  public String maxBodyText() {
    if (maxBodyBytes % (1024 * 1024) == 0) {
      return maxBodyBytes / (1024 * 1024) + " MiB";
    }
    if (maxBodyBytes % 1024 == 0) {
      return maxBodyBytes / 1024 + " KiB";
    }
    return maxBodyBytes + " bytes";
  }
}
