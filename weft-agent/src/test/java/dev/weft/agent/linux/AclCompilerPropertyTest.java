package dev.weft.agent.linux;

import static org.assertj.core.api.Assertions.assertThat;

import dev.weft.agent.linux.Boxes.Box;
import dev.weft.agent.linux.Boxes.Decided;
import dev.weft.control.Acl;
import dev.weft.control.AclEntry;
import dev.weft.control.World;
import dev.weft.model.Action;
import dev.weft.model.AddressMatch;
import dev.weft.model.FqName;
import dev.weft.model.IpPrefix;
import dev.weft.model.PolicyRule;
import dev.weft.model.PortRange;
import dev.weft.model.Protocol;
import java.math.BigInteger;
import java.util.ArrayList;
import java.util.List;
import java.util.Random;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

/**
 * A network's first-match ACL flattened into disjoint boxes (what becomes nftables elements)
 * decides every packet as {@link Acl#decide} does: random ACLs with overlapping subnets, port
 * ranges and protocols, random packets, for every pair of source and destination network.
 */
class AclCompilerPropertyTest {
  private static final FqName A = World.networkName("a");
  private static final FqName B = World.networkName("b");
  private static final Protocol[] PACKET_PROTOCOLS = {
    Protocol.TCP, Protocol.UDP, Protocol.SCTP, Protocol.ICMP
  };

  @ParameterizedTest(name = "seed {0}")
  @ValueSource(longs = {1, 2, 3, 4, 5, 6, 7, 8})
  void flattenedBoxesDecideAsTheFirstMatchList(long seed) {
    Random random = new Random(seed);
    for (int trial = 0; trial < 40; trial++) {
      Acl acl = randomAcl(random);
      for (FqName src : List.of(A, B)) {
        for (FqName dst : List.of(A, B)) {
          List<Decided<Boolean>> boxes = AclCompiler.decide(acl, src, dst, 4);
          boolean byDefault = AclCompiler.fallback(acl, src, dst);
          assertDisjoint(boxes, seed);
          for (int i = 0; i < 300; i++) {
            Protocol p = PACKET_PROTOCOLS[random.nextInt(PACKET_PROTOCOLS.length)];
            String sa = "10.0.0." + random.nextInt(64);
            String da = "10.0.0." + random.nextInt(64);
            int sp = p == Protocol.ICMP ? 0 : random.nextInt(40);
            int dp = p == Protocol.ICMP ? 0 : random.nextInt(40);
            boolean expected = acl.decide(src, sa, dst, da, p, sp, dp).passes();
            // ICMP's "ports" in the kernel are its type, code and checksum: any value must do.
            int kernelSp = p == Protocol.ICMP ? random.nextInt(65536) : sp;
            int kernelDp = p == Protocol.ICMP ? random.nextInt(65536) : dp;
            BigInteger[] point = {
              BigInteger.valueOf(NftRenderer.protocol(p, false)),
              Nft.number(sa),
              Nft.number(da),
              BigInteger.valueOf(kernelSp),
              BigInteger.valueOf(kernelDp)
            };
            boolean actual = byDefault;
            for (Decided<Boolean> d : boxes) {
              if (d.box().contains(point)) {
                actual = d.action();
                break;
              }
            }
            assertThat(actual)
                .as(
                    "seed %d: %s from %s %s:%d to %s %s:%d under %s",
                    seed, p, src, sa, sp, dst, da, dp, acl)
                .isEqualTo(expected);
          }
        }
      }
    }
  }

  static void assertDisjoint(List<Decided<Boolean>> boxes, long seed) {
    for (int i = 0; i < boxes.size(); i++) {
      Box b = boxes.get(i).box();
      assertThat(b.empty()).isFalse();
      for (int j = i + 1; j < boxes.size(); j++) {
        assertThat(b.overlaps(boxes.get(j).box()))
            .as("seed %d: %s and %s overlap", seed, b, boxes.get(j).box())
            .isFalse();
      }
    }
  }

  private static Acl randomAcl(Random random) {
    FqName owner = random.nextBoolean() ? A : B;
    List<AclEntry> entries = new ArrayList<>();
    int n = random.nextInt(7);
    FqName policy = FqName.of("default-domain", "test", "p");
    for (int i = 0; i < n; i++) {
      Protocol p = Protocol.values()[random.nextInt(Protocol.values().length)];
      PolicyRule rule =
          new PolicyRule(
              random.nextBoolean() ? Action.PASS : Action.DENY,
              ">",
              p,
              end(random),
              ports(random),
              end(random),
              ports(random));
      entries.add(new AclEntry(policy, i + 1, random.nextInt(4) == 0, rule));
    }
    List<FqName> policies = random.nextInt(3) == 0 ? List.of() : List.of(policy);
    return new Acl(owner, policies, List.of(), entries);
  }

  private static AddressMatch end(Random random) {
    return switch (random.nextInt(5)) {
      case 0 -> AddressMatch.network(A);
      case 1 -> AddressMatch.network(B);
      case 2 -> AddressMatch.ANY;
      default -> {
        int len = 26 + random.nextInt(5);
        yield new AddressMatch(
            null,
            IpPrefix.parse("10.0.0." + (random.nextInt(64) & -(1 << (32 - len))) + "/" + len));
      }
    };
  }

  private static List<PortRange> ports(Random random) {
    if (random.nextInt(3) == 0) {
      return null;
    }
    List<PortRange> out = new ArrayList<>();
    for (int i = 0, n = 1 + random.nextInt(2); i < n; i++) {
      int a = random.nextInt(40);
      int b = a + random.nextInt(10);
      out.add(new PortRange(a, b));
    }
    return out;
  }
}
