package dev.weft.agent.linux;

import dev.weft.model.FqName;
import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.util.ArrayList;
import java.util.Collection;
import java.util.HashMap;
import java.util.HashSet;
import java.util.HexFormat;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.UUID;

/**
 * The names and numbers Weft gives what it owns in a node's kernel, all derived from the compiled
 * state so that every node, and every restart, computes the same ones without storing anything.
 *
 * <ul>
 *   <li><b>VNI and routing table</b> of a virtual network: one number, the VNI, also used as the
 *       routing table id and as the packet/conntrack mark that selects the table. It lies in {@code
 *       [2^20, 2^24)}, which keeps it clear of the tables other software uses (main 254, local 255,
 *       default 253, the small ids of distributions and other CNIs) and fits VXLAN's 24 bits. It is
 *       a hash of the FQ name; see {@link #vnis(Collection, java.util.function.ToLongFunction)} for
 *       collisions.
 *   <li><b>Devices</b>: a pod's host-side veth is {@code wfp} + 12 hex digits of SHA-256 of its
 *       interface UUID (15 characters, the kernel's limit); a network's VXLAN device is {@code wfx}
 *       + its VNI in hex. Everything named {@code wfp*} or {@code wfx*} is Weft's, to create,
 *       change and delete; nothing else is touched.
 *   <li><b>MACs</b>: every host-side veth has {@link #HOST_MAC} (pods reach their gateway through a
 *       static neighbour entry, so one MAC serves all); a node's VTEP MAC is {@code 02:57} + 4
 *       bytes of SHA-256 of the node name, the same on each of its VXLAN devices.
 * </ul>
 */
public final class Naming {
  /** The smallest VNI (and table id) Weft uses. */
  public static final int VNI_MIN = 1 << 20;

  /** The largest VNI (and table id) Weft uses. */
  public static final int VNI_MAX = (1 << 24) - 1;

  /** The bits of the packet and conntrack marks Weft uses: the VNI of the table to route in. */
  public static final long MARK_MASK = 0xffffffL;

  /** The priority of the rules that route marked packets (NAT and replies) in their table. */
  public static final int MARK_RULE_PRIORITY = 1000;

  /** The priority of the rules that route by incoming interface (pod veth, VXLAN device). */
  public static final int IIF_RULE_PRIORITY = 1001;

  /**
   * A conntrack mark bit, beside the VNI: the flow came in from the fabric (from outside the
   * cluster, through the gateway or to a node port). Its replies are routed by the node's main
   * table ({@link #EXTERNAL_RULE_PRIORITY}), back out of the fabric interface, not in an overlay
   * table, which has no route outside.
   */
  public static final long EXTERNAL_MARK = 0x1000000L;

  /**
   * A conntrack mark bit: a node-port flow, whose source is translated to the node's address when
   * it leaves for a backend on another node, so that the reply comes back through this node.
   */
  public static final long MASQUERADE_MARK = 0x2000000L;

  /** Every mark bit Weft uses, cleared before a packet leaves the node. */
  public static final long ALL_MARKS = MARK_MASK | EXTERNAL_MARK | MASQUERADE_MARK;

  /** The priority of the rule that routes replies of flows from outside by the main table. */
  public static final int EXTERNAL_RULE_PRIORITY = 999;

  /** The main routing table's id. */
  public static final long MAIN_TABLE = 254;

  /** The metric of each table's catch-all unreachable route, the highest there is. */
  public static final long UNREACHABLE_METRIC = 4278198272L;

  /** The MAC of every pod's host-side veth, which pods' static gateway neighbour entries name. */
  public static final String HOST_MAC = "02:77:66:74:00:01";

  /** The IPv4 gateway a pod routes through: the host side answers for it by static neighbour. */
  public static final String GATEWAY4 = "169.254.1.1";

  /** The IPv6 gateway a pod routes through. */
  public static final String GATEWAY6 = "fe80::1";

  /** VXLAN's IANA port. */
  public static final int VXLAN_PORT = 4789;

  /** The prefix of pods' host-side veths. */
  public static final String POD_DEVICE_PREFIX = "wfp";

  /** The prefix of VXLAN devices. */
  public static final String VXLAN_DEVICE_PREFIX = "wfx";

  private Naming() {}

  /**
   * A VNI for every network: {@code VNI_MIN + h mod (VNI_MAX - VNI_MIN + 1)} with {@code h} the
   * first four bytes of SHA-256 of the FQ name. Networks are assigned in order of creation ({@code
   * created}: the store revision that created each, the same for every reader of the store; ties
   * and unknowns, {@link Long#MAX_VALUE}, by FQ name), and one whose slot is taken takes the next
   * free one (wrapping), so every node computes the same, and a network keeps its VNI when others
   * appear: a new network that collides is the one that moves to the next slot. What is left: when
   * a network is deleted, one created after it that had been moved off its slot moves back (its
   * pods' traffic is disrupted while nodes reconcile). With 1,000 networks the chance of any
   * collision is about 3%; a network id allocated once by control, as Contrail's {@code
   * virtual_network_network_id}, would make VNIs permanent.
   */
  public static Map<FqName, Integer> vnis(
      Collection<FqName> networks, java.util.function.ToLongFunction<FqName> created) {
    List<FqName> sorted = new ArrayList<>(new HashSet<>(networks));
    Map<FqName, Long> order = new HashMap<>();
    for (FqName n : sorted) {
      order.put(n, created.applyAsLong(n));
    }
    sorted.sort(
        java.util.Comparator.<FqName>comparingLong(order::get).thenComparing(FqName::toString));
    int span = VNI_MAX - VNI_MIN + 1;
    Set<Integer> taken = new HashSet<>();
    Map<FqName, Integer> out = new LinkedHashMap<>();
    for (FqName n : sorted) {
      byte[] h = sha256(n.toString());
      long v =
          ((h[0] & 0xffL) << 24) | ((h[1] & 0xffL) << 16) | ((h[2] & 0xffL) << 8) | (h[3] & 0xffL);
      int slot = (int) (v % span);
      while (taken.contains(VNI_MIN + slot)) {
        slot = (slot + 1) % span;
      }
      taken.add(VNI_MIN + slot);
      out.put(n, VNI_MIN + slot);
    }
    return out;
  }

  /** {@link #vnis(Collection, java.util.function.ToLongFunction)} with no creation order known. */
  public static Map<FqName, Integer> vnis(Collection<FqName> networks) {
    return vnis(networks, n -> Long.MAX_VALUE);
  }

  /** The host-side veth of pod interface {@code uuid}: {@code wfp} + 12 hex digits. */
  public static String podDevice(UUID uuid) {
    return POD_DEVICE_PREFIX + HexFormat.of().formatHex(sha256(uuid.toString()), 0, 6);
  }

  /** The VXLAN device of the network with {@code vni}. */
  public static String vxlanDevice(int vni) {
    return VXLAN_DEVICE_PREFIX + Integer.toHexString(vni);
  }

  /** The MAC of node {@code node}'s VXLAN devices. */
  public static String vtepMac(String node) {
    byte[] h = sha256("vtep/" + node);
    return String.format(
        "02:57:%02x:%02x:%02x:%02x", h[0] & 0xff, h[1] & 0xff, h[2] & 0xff, h[3] & 0xff);
  }

  /** The IPv6 link-local address (EUI-64) of {@code mac}, a next hop of IPv6 overlay routes. */
  public static String linkLocal(String mac) {
    String[] b = mac.split(":");
    int first = Integer.parseInt(b[0], 16) ^ 0x02;
    return String.format(
        "fe80::%x:%x:%x:%x",
        (first << 8) | Integer.parseInt(b[1], 16),
        (Integer.parseInt(b[2], 16) << 8) | 0xff,
        0xfe00 | Integer.parseInt(b[3], 16),
        (Integer.parseInt(b[4], 16) << 8) | Integer.parseInt(b[5], 16));
  }

  /** Whether a link is Weft's: a pod's host-side veth or a VXLAN device. */
  public static boolean ownsDevice(String name) {
    return name.startsWith(POD_DEVICE_PREFIX) || name.startsWith(VXLAN_DEVICE_PREFIX);
  }

  /** Whether a rule is Weft's: one into its tables, or its rule for replies to outside. */
  public static boolean ownsRule(NodeState.IpRule r) {
    return ownsTable(r.table())
        || (r.priority() == EXTERNAL_RULE_PRIORITY
            && r.table() == MAIN_TABLE
            && r.fwmark() == EXTERNAL_MARK);
  }

  /** Whether a routing table is Weft's. */
  public static boolean ownsTable(long table) {
    return table >= VNI_MIN && table <= VNI_MAX;
  }

  static byte[] sha256(String s) {
    try {
      return MessageDigest.getInstance("SHA-256").digest(s.getBytes(StandardCharsets.UTF_8));
    } catch (NoSuchAlgorithmException e) {
      throw new IllegalStateException("the JDK always has SHA-256", e);
    }
  }

  /** 12 hex digits of SHA-256 of {@code s}: names of nftables chains and rule digests. */
  static String digest(String s) {
    return HexFormat.of().formatHex(sha256(s), 0, 6);
  }
}
