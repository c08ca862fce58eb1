package dev.weft.control;

import static org.assertj.core.api.Assertions.assertThat;

import dev.weft.model.IpPrefix;
import java.math.BigInteger;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.Random;
import java.util.stream.LongStream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.MethodSource;

/** The ACL's fast subnet check answers exactly as {@link IpPrefix#contains(String)} does. */
class CidrPropertyTest {

  static LongStream seeds() {
    return LongStream.range(0, 20).map(i -> 0xc1d0_0000L + i);
  }

  @ParameterizedTest(name = "seed {0}")
  @MethodSource("seeds")
  void fastContainmentAgreesWithTheModel(long seed) {
    Random random = new Random(seed);
    for (int k = 0; k < 40; k++) {
      IpPrefix prefix = prefix(random);
      for (int a = 0; a < 50; a++) {
        String address = address(random, prefix);
        assertThat(answer(() -> Cidr.contains(prefix, address)))
            .as("seed %x: %s in %s", seed, address, prefix)
            .isEqualTo(answer(() -> prefix.contains(address)));
      }
    }
  }

  @Test
  void oddButValidFormsAndBadAddressesGoToTheFullParser() {
    IpPrefix v4 = IpPrefix.parse("10.0.0.0/8");
    IpPrefix v6 = IpPrefix.parse("fd00::/16");
    IpPrefix all6 = IpPrefix.parse("::/0");
    IpPrefix all4 = IpPrefix.parse("0.0.0.0/0");
    for (IpPrefix p : List.of(v4, v6, all6, all4)) {
      for (String a :
          List.of(
              "10.1.2.3",
              "010.1.2.3",
              "10.1.2",
              "10.1.2.3.4",
              "10.1.2.",
              "10..2.3",
              "256.1.1.1",
              "fd00::1",
              "FD00::1",
              "fd00:0:0:0:0:0:0:1",
              "fd00:0:0:0:0:0:0:1:2",
              "fd00::1::2",
              ":fd00::1",
              "fd00:",
              "::",
              "::1",
              "1::",
              "1:2:3:4:5:6:7::",
              "::ffff:10.1.2.3",
              "fd00::00001",
              "fe80::1%eth0",
              "",
              "x")) {
        assertThat(answer(() -> Cidr.contains(p, a)))
            .as("%s in %s", a, p)
            .isEqualTo(answer(() -> p.contains(a)));
      }
    }
  }

  private static String answer(java.util.function.BooleanSupplier s) {
    try {
      return String.valueOf(s.getAsBoolean());
    } catch (RuntimeException e) {
      return e.getClass().getSimpleName();
    }
  }

  private static IpPrefix prefix(Random random) {
    boolean v6 = random.nextBoolean();
    int bits = v6 ? 128 : 32;
    int length = random.nextInt(bits + 1);
    BigInteger value = new BigInteger(bits, random);
    BigInteger network = value.shiftRight(bits - length).shiftLeft(bits - length);
    if (length == 0) {
      network = BigInteger.ZERO;
    }
    return IpPrefix.parse(format(network, v6, random) + "/" + length);
  }

  /**
   * Often inside {@code p} (its network bits, random host bits) or just outside (one network bit
   * flipped), in several written forms.
   */
  private static String address(Random random, IpPrefix p) {
    boolean v6 = random.nextInt(5) == 0 ? random.nextBoolean() : p.family().wire().equals("v6");
    int bits = v6 ? 128 : 32;
    BigInteger value = new BigInteger(bits, random);
    if (random.nextBoolean() && v6 == p.family().wire().equals("v6")) {
      BigInteger network = new BigInteger(1, p.block().getLower().getBytes());
      int host = bits - p.length();
      BigInteger hostBits = host == 0 ? BigInteger.ZERO : new BigInteger(host, random);
      value = network.or(hostBits);
      if (random.nextInt(4) == 0) {
        value = network.or(BigInteger.ONE.shiftLeft(host).subtract(BigInteger.ONE)); // last
      }
      if (p.length() > 0 && random.nextInt(3) == 0) {
        value = value.flipBit(bits - 1 - random.nextInt(p.length())); // just outside
      }
    }
    return format(value, v6, random);
  }

  private static String format(BigInteger value, boolean v6, Random random) {
    if (!v6) {
      long v = value.longValue();
      return (v >>> 24 & 0xff)
          + "."
          + (v >>> 16 & 0xff)
          + "."
          + (v >>> 8 & 0xff)
          + "."
          + (v & 0xff);
    }
    List<String> groups = new ArrayList<>();
    for (int g = 7; g >= 0; g--) {
      int group = value.shiftRight(16 * g).intValue() & 0xffff;
      String text = Integer.toHexString(group);
      if (random.nextInt(6) == 0) {
        text = String.format("%04x", group);
      }
      if (random.nextInt(6) == 0) {
        text = text.toUpperCase(Locale.ROOT);
      }
      groups.add(text);
    }
    if (random.nextBoolean()) {
      return String.join(":", groups);
    }
    // Compress the longest run of zero groups, as the canonical form does.
    int bestStart = -1;
    int bestLength = 0;
    for (int i = 0; i < 8; ) {
      if (Integer.parseInt(groups.get(i), 16) != 0) {
        i++;
        continue;
      }
      int j = i;
      while (j < 8 && Integer.parseInt(groups.get(j), 16) == 0) {
        j++;
      }
      if (j - i > bestLength) {
        bestStart = i;
        bestLength = j - i;
      }
      i = j;
    }
    if (bestLength == 0) {
      return String.join(":", groups);
    }
    return String.join(":", groups.subList(0, bestStart))
        + "::"
        + String.join(":", groups.subList(bestStart + bestLength, 8));
  }
}
