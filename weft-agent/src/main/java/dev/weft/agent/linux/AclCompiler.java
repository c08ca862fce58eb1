package dev.weft.agent.linux;

import dev.weft.agent.linux.Boxes.Box;
import dev.weft.agent.linux.Boxes.Decided;
import dev.weft.agent.linux.Nft.Field;
import dev.weft.control.Acl;
import dev.weft.control.AclEntry;
import dev.weft.model.Action;
import dev.weft.model.AddressMatch;
import dev.weft.model.FqName;
import dev.weft.model.IpPrefix;
import dev.weft.model.PortRange;
import dev.weft.model.Protocol;
import java.math.BigInteger;
import java.util.ArrayList;
import java.util.List;

/**
 * The network ACLs one source network's flows pass, as nftables chains and maps: for each
 * destination network its flows can reach, the source network's ACL (leaving) and the destination
 * network's (entering), each flattened from first-match order into disjoint boxes over (protocol,
 * source, destination, source port, destination port) with {@link Boxes#firstMatch}. Only the boxes
 * whose verdict differs from the network pair's fallback become elements: the first entry that
 * matches everything (a policy's {@code pass a <> b}), else the ACL's default (pass within a
 * network or when the network has no policy, deny otherwise). The fallback is the chain's last
 * rule, so a plain policy between two networks costs no element at all.
 */
final class AclCompiler {
  private static final BigInteger PORT_MAX = BigInteger.valueOf(65535);
  private static final BigInteger PROTO_MAX = BigInteger.valueOf(255);

  private final NodeRenderer.Plan plan;
  private final NftRenderer nft;

  AclCompiler(NodeRenderer.Plan plan, NftRenderer nft) {
    this.plan = plan;
    this.nft = nft;
  }

  void source(FqName a) {
    String v = Integer.toHexString(plan.vni(a));
    String pairs = "acl_to_" + v;
    nft.set(pairs, false, "verdict", Field.MARK);
    nft.chain(
        "from_" + v,
        List.of(
            "meta mark set 0",
            "meta mark set ip daddr map @addr_net4",
            "meta mark set ip6 daddr map @addr_net6",
            "ct status dnat meta mark set ct mark",
            "meta mark vmap @" + pairs,
            "drop"));
    for (FqName x : nft.destinations(a)) {
      String pair = v + "_" + Integer.toHexString(plan.vni(x));
      nft.element(pairs, "goto acl_out_" + pair, Field.MARK.format(plan.vni(x)));
      stage(nft.acl(a), a, x, "acl_out_" + pair, "goto acl_in_" + pair);
      stage(nft.acl(x), a, x, "acl_in_" + pair, "goto np_egress");
    }
  }

  /**
   * The ACL of network {@code x} for a flow from outside the cluster (no source network: only
   * {@code any} and subnet entries match its source), as chain {@code chain}, which returns when
   * the ACL passes the flow.
   */
  void external(FqName x, String chain) {
    stage(nft.acl(x), null, x, chain, "return");
  }

  /**
   * One ACL for one network pair: a chain that looks the packet up among the boxes whose verdict
   * differs from the pair's default (one map per family, declared only when it has elements), then
   * applies the default. nftables 1.0.6 cannot add elements to a map keyed by more than five fields
   * once it exists, which is why the destination network selects a chain rather than being a sixth
   * field.
   */
  private void stage(Acl acl, FqName src, FqName dst, String chain, String pass) {
    boolean byDefault = fallback(acl, src, dst);
    List<String> rules = new ArrayList<>();
    for (int family : new int[] {4, 6}) {
      Field address = family == 6 ? Field.IPV6 : Field.IPV4;
      String map = chain.replaceFirst("_(out|in)_", "_$1" + family + "_");
      String ip = family == 6 ? "ip6" : "ip";
      boolean declared = false;
      for (Decided<Boolean> d : decide(acl, src, dst, family)) {
        if (d.action() == byDefault) {
          continue;
        }
        if (!declared) {
          nft.set(
              map, true, "verdict", Field.PROTO, address, address, Field.SERVICE, Field.SERVICE);
          rules.add(
              "meta l4proto . "
                  + ip
                  + " saddr . "
                  + ip
                  + " daddr . th sport . th dport vmap @"
                  + map);
          declared = true;
        }
        Box b = d.box();
        nft.element(
            map,
            d.action() ? pass : "drop",
            Field.PROTO.format(b.lo[0], b.hi[0]),
            address.format(b.lo[1], b.hi[1]),
            address.format(b.lo[2], b.hi[2]),
            Field.SERVICE.format(b.lo[3], b.hi[3]),
            Field.SERVICE.format(b.lo[4], b.hi[4]));
      }
    }
    rules.add(byDefault ? pass : "drop");
    nft.chain(chain, rules);
  }

  /** What {@link Acl#decide} does when no entry matches. */
  static boolean passesByDefault(Acl acl, FqName src, FqName dst) {
    if (acl.network().equals(src) && acl.network().equals(dst)) {
      return true;
    }
    return acl.policies().isEmpty() && acl.missing().isEmpty();
  }

  /**
   * What decides a packet no box of {@link #decide} holds: the first entry that matches every
   * packet of this network pair (such as {@code pass a <> b}, the usual whole of a policy), or else
   * the ACL's default. Taking it as the default leaves nothing to enumerate in the common case.
   */
  static boolean fallback(Acl acl, FqName src, FqName dst) {
    for (AclEntry e : acl.entries()) {
      if (catchAll(e, src, dst)) {
        return e.action() == Action.PASS;
      }
    }
    return passesByDefault(acl, src, dst);
  }

  private static boolean catchAll(AclEntry e, FqName src, FqName dst) {
    return e.protocol() == Protocol.ANY
        && everything(e.source(), src)
        && everything(e.destination(), dst)
        && allPorts(e.sourcePorts())
        && allPorts(e.destinationPorts());
  }

  private static boolean everything(AddressMatch m, FqName network) {
    return m.isAny() || (network != null && network.equals(m.virtualNetwork()));
  }

  private static boolean allPorts(List<PortRange> ranges) {
    return ranges.stream().anyMatch(r -> r.start() == 0 && r.end() == 65535);
  }

  /**
   * The ACL's entries for packets of {@code family} from network {@code src} to {@code dst}, up to
   * the first that matches everything ({@link #fallback}), as disjoint boxes over (protocol,
   * source, destination, source port, destination port), each with whether it passes. Points in no
   * box are decided by {@link #fallback}.
   */
  static List<Decided<Boolean>> decide(Acl acl, FqName src, FqName dst, int family) {
    List<Decided<Boolean>> ordered = new ArrayList<>();
    for (AclEntry e : acl.entries()) {
      if (catchAll(e, src, dst)) {
        break;
      }
      BigInteger[] s = end(e.source(), src, family);
      BigInteger[] d = end(e.destination(), dst, family);
      if (s == null || d == null) {
        continue;
      }
      boolean pass = e.action() == Action.PASS;
      BigInteger icmp = BigInteger.valueOf(family == 6 ? 58 : 1);
      Protocol p = e.protocol();
      if (p == Protocol.ICMP || p == Protocol.ANY) {
        // ICMP has no ports: the model ignores an entry's ports for it.
        ordered.add(
            new Decided<>(
                box(icmp, icmp, s, d, BigInteger.ZERO, PORT_MAX, BigInteger.ZERO, PORT_MAX), pass));
      }
      List<BigInteger[]> protos = new ArrayList<>();
      if (p == Protocol.ANY) {
        protos.add(new BigInteger[] {BigInteger.ZERO, icmp.subtract(BigInteger.ONE)});
        protos.add(new BigInteger[] {icmp.add(BigInteger.ONE), PROTO_MAX});
      } else if (p != Protocol.ICMP) {
        BigInteger n = BigInteger.valueOf(NftRenderer.protocol(p, family == 6));
        protos.add(new BigInteger[] {n, n});
      }
      for (BigInteger[] proto : protos) {
        for (PortRange sp : e.sourcePorts()) {
          for (PortRange dp : e.destinationPorts()) {
            ordered.add(
                new Decided<>(
                    box(
                        proto[0],
                        proto[1],
                        s,
                        d,
                        BigInteger.valueOf(sp.start()),
                        BigInteger.valueOf(sp.end()),
                        BigInteger.valueOf(dp.start()),
                        BigInteger.valueOf(dp.end())),
                    pass));
          }
        }
      }
    }
    return Boxes.firstMatch(ordered);
  }

  /**
   * The address range one end of an entry matches, for a packet of {@code family} in network {@code
   * network}; null when the entry cannot match it (another network, a subnet of the other family).
   */
  private static BigInteger[] end(AddressMatch m, FqName network, int family) {
    if (m.virtualNetwork() != null) {
      return m.virtualNetwork().equals(network)
          ? new BigInteger[] {BigInteger.ZERO, Addresses.max(family)}
          : null;
    }
    if (m.subnet() != null) {
      IpPrefix p = m.subnet();
      if (Addresses.family(p.toString()) != family) {
        return null;
      }
      return new BigInteger[] {Addresses.lower(p), Addresses.upper(p)};
    }
    return new BigInteger[] {BigInteger.ZERO, Addresses.max(family)};
  }

  private static Box box(
      BigInteger protoLo,
      BigInteger protoHi,
      BigInteger[] src,
      BigInteger[] dst,
      BigInteger sportLo,
      BigInteger sportHi,
      BigInteger dportLo,
      BigInteger dportHi) {
    return new Box(
        new BigInteger[] {protoLo, src[0], dst[0], sportLo, dportLo},
        new BigInteger[] {protoHi, src[1], dst[1], sportHi, dportHi});
  }
}
