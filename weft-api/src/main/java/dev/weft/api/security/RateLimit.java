package dev.weft.api.security;

import java.util.Locale;

/**
 * How many requests one client may make: {@code perSecond} on average with bursts of up to {@code
 * burst}, a token bucket. Written {@code RATE[:BURST]} (such as {@code 50:100}; the burst defaults
 * to twice the rate), or {@code off}.
 */
public record RateLimit(double perSecond, int burst) {
  /** 50 requests a second with bursts of 100: far above what the weft CLI or a script needs. */
  public static final RateLimit DEFAULT = new RateLimit(50, 100);

  /** No limit. */
  public static final RateLimit OFF = new RateLimit(Double.POSITIVE_INFINITY, Integer.MAX_VALUE);

  public RateLimit {
    if (!(perSecond > 0)) {
      throw new IllegalArgumentException("a rate limit must allow more than 0 requests a second");
    }
    if (burst < 1) {
      throw new IllegalArgumentException("a rate limit's burst must be at least 1 request");
    }
  }

  public boolean off() {
    return Double.isInfinite(perSecond);
  }

  /**
   * Parses {@code RATE[:BURST]} or {@code off}.
   *
   * @throws IllegalArgumentException saying what was expected
   */
  public static RateLimit parse(String text) {
    String t = text.strip().toLowerCase(Locale.ROOT);
    if (t.equals("off") || t.equals("none")) {
      return OFF;
    }
    String[] parts = t.split(":", -1);
    try {
      if (parts.length > 2) {
        throw new NumberFormatException();
      }
      double rate = Double.parseDouble(parts[0]);
      if (Double.isNaN(rate) || Double.isInfinite(rate) || rate <= 0) {
        throw new NumberFormatException();
      }
      int burst =
          parts.length == 2
              ? Integer.parseInt(parts[1])
              : (int) Math.max(1, Math.min(Integer.MAX_VALUE, Math.ceil(rate * 2)));
      if (burst < 1) {
        throw new NumberFormatException();
      }
      return new RateLimit(rate, burst);
    } catch (NumberFormatException e) {
      throw new IllegalArgumentException(
          "rate limit \""
              + text
              + "\": expected RATE[:BURST] with RATE requests a second and BURST at least 1 (such"
              + " as 50:100), or off");
    }
  }

  @Override
  public String toString() {
    if (off()) {
      return "off";
    }
    String rate =
        perSecond == Math.rint(perSecond)
            ? Long.toString((long) perSecond)
            : Double.toString(perSecond);
    return rate + (perSecond == 1 ? " request" : " requests") + "/s, bursts of " + burst;
  }
}
