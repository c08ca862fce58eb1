package dev.weft.model;

import static org.assertj.core.api.Assertions.assertThat;

import java.util.Random;
import java.util.stream.LongStream;
import java.util.stream.Stream;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.MethodSource;
import org.junit.jupiter.params.provider.ValueSource;

/**
 * The shortcuts {@link IpPrefix} takes on hot paths (canonical IPv4 text answered without the
 * parser, family and length read off the canonical text) agree with the parser on every input.
 */
class IpPrefixFastPathTest {
  static Stream<Long> seeds() {
    return LongStream.range(0, 50).map(i -> 0x5eedL * 31 + i).boxed();
  }

  @ParameterizedTest(name = "seed {0}")
  @MethodSource("seeds")
  void theIpv4ShortcutAgreesWithTheParserOnRandomText(long seed) {
    Random random = new Random(seed);
    String alphabet = "0123456789.:a ";
    for (int i = 0; i < 2_000; i++) {
      StringBuilder s = new StringBuilder();
      if (random.nextBoolean()) {
        // Near-addresses: four numbers, sometimes out of range or zero-padded.
        for (int part = 0; part < 4; part++) {
          if (part > 0) {
            s.append('.');
          }
          int v = random.nextInt(300);
          s.append(random.nextInt(10) == 0 ? String.format("%03d", v) : Integer.toString(v));
        }
      } else {
        int n = random.nextInt(18);
        for (int k = 0; k < n; k++) {
          s.append(alphabet.charAt(random.nextInt(alphabet.length())));
        }
      }
      String text = s.toString();
      String parsed;
      try {
        parsed = IpPrefix.parseAddress(text).toCanonicalString();
      } catch (IllegalArgumentException e) {
        parsed = null;
      }
      if (IpPrefix.isCanonicalV4(text)) {
        assertThat(parsed).as("seed %d, text \"%s\"", seed, text).isEqualTo(text);
      } else if (parsed != null) {
        // Not taken by the shortcut: the parser still answers, as before.
        assertThat(IpPrefix.canonicalAddress(text)).isEqualTo(parsed);
      }
    }
  }

  @ParameterizedTest
  @ValueSource(
      strings = {
        "0.0.0.0/0",
        "10.32.0.0/12",
        "10.96.0.1/32",
        "::/0",
        "fd00::/64",
        "2001:db8::1/128"
      })
  void familyAndLengthReadOffTheTextAgreeWithTheParser(String cidr) {
    IpPrefix p = IpPrefix.parse(cidr);
    assertThat(p.length()).isEqualTo(p.block().getNetworkPrefixLength());
    assertThat(p.family()).isEqualTo(p.block().isIPv4() ? IpFamily.V4 : IpFamily.V6);
  }
}
