package dev.weft.agent.linux;

import dev.weft.agent.CommandFailedException;
import dev.weft.agent.Shell;
import dev.weft.control.CompiledView;
import dev.weft.control.Gateway;
import dev.weft.control.Jhash;
import dev.weft.control.NextHop;
import dev.weft.control.Route;
import dev.weft.control.Vrf;
import dev.weft.model.Protocol;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeMap;
import java.util.TreeSet;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The gateway router, as a network namespace on the nodes' underlay: what Contrail's MX or SDN
 * gateway does with the routes it imports from the networks that have route targets. For each
 * address such a network exports (a floating IP, a service's external IP or LoadBalancer address, a
 * pod's own address) it sends a flow to one of the nodes that hold a next hop behind it, chosen by
 * {@link Jhash} with the gateway's seed ({@link Gateway#choose}: per 5-tuple for a service
 * listener, per address pair otherwise), and that node translates to its own local next hops only,
 * so the reply leaves from the node that translated it and the source address is kept. Node
 * addresses (node ports) are on its own subnet.
 *
 * <p>The namespace is the outside host too: its own connections (the lab's {@code --from external}
 * probes) come from {@link #CLIENT}, an address that looks like the internet, never from the
 * gateway's own {@link #ADDRESS} on the nodes' subnet, which NetworkPolicy ipBlocks would take for
 * a private host. Every route it programs says {@code src CLIENT}, so any socket in the namespace
 * gets that source without binding it; the nodes send their replies to it via {@link #ADDRESS} (a
 * node's default route to its fabric gateway, which the lab gives each node as a real host has).
 *
 * <p>What it programs inside its namespace: {@link #CLIENT}/32 on {@code lo}; the table {@code ip
 * weft_gw} (the hash, as a packet mark per node, for the gateway's own connections and for
 * forwarded ones), one rule per node at priority {@value #RULE_PRIORITY} ({@code fwmark M lookup
 * M}) and a table per node holding {@code default via <node address>}, and at the next priority a
 * rule into a table routing every exported address via one of its nodes and every node address via
 * itself (the gateway's own sockets need a route, and their source address, before the output hook
 * marks their packets). Nothing else is touched. An address the gateway has no route for matches
 * nothing and stays in the main table, which has no route for it: unreachable, as in the model.
 *
 * <p>Whoever sets up the namespace (the lab) creates it with a veth into the underlay bridge
 * holding {@link #ADDRESS}/{@link #PREFIX_LENGTH}, then calls {@link #reconcile} whenever the
 * compiled view changes (inside {@code Compiler.read}). Not thread-safe: one caller at a time.
 */
public final class LinuxGateway {
  private static final Logger LOG = LoggerFactory.getLogger(LinuxGateway.class);

  /** The gateway's address on the underlay: the nodes' next hop out of the cluster. */
  public static final String ADDRESS = Gateway.ADDRESS4;

  /**
   * The outside host's address, held on the namespace's loopback: the source of its own
   * connections, as of the model's outside host.
   */
  public static final String CLIENT = Gateway.CLIENT4;

  /** The prefix length of the underlay subnet. */
  public static final int PREFIX_LENGTH = Gateway.PREFIX_LENGTH4;

  /** The priority of the gateway's per-node rules. */
  public static final int RULE_PRIORITY = 900;

  /** The first per-node mark and routing table; node {@code i} (by name) has {@code BASE + i}. */
  static final long BASE = 0x5700;

  private static final String TABLE = "weft_gw";

  private final String name;
  private final Commands commands;

  /** The nftables listing after the last successful apply, and the script that made it. */
  private String appliedScript;

  private String appliedListing;

  /**
   * @param name the gateway's name, for messages
   * @param netns the gateway's network namespace (as {@code ip netns} names it), or null for this
   *     process's
   */
  public LinuxGateway(String name, Shell shell, String netns) {
    this.name = name;
    this.commands = new Commands(shell, netns);
  }

  /**
   * What the gateway must hold for {@code view}.
   *
   * @param rules per table, the mark its rule matches (0: every packet)
   * @param routes {@code destination table} to the node address it goes via
   * @param script the nftables table, or null for none
   * @param client whether {@link #CLIENT} is on {@code lo}
   */
  record Desired(
      Map<String, Long> rules, Map<String, String> routes, String script, boolean client) {}

  /**
   * The table every exported address has a route in, via one of its nodes (its rule comes after the
   * per-node ones): the gateway's own connections look their route up before the output hook marks
   * them, and need one to be sent at all.
   */
  static final long EXPORTED = BASE + 0xff;

  /**
   * Makes the gateway's namespace route what {@code view} exports: reads its rules, tables and
   * table {@code ip weft_gw}, and changes only what differs. Idempotent. Call it inside {@code
   * Compiler.read}.
   *
   * @throws ReconcileException when a step failed (the others were still applied)
   */
  public ReconcileReport reconcile(CompiledView view) {
    return converge(desired(view));
  }

  /** Removes the gateway's rules, tables, nftables table and {@link #CLIENT} address. */
  public ReconcileReport teardown() {
    return converge(new Desired(Map.of(), Map.of(), null, false));
  }

  static Desired desired(CompiledView view) {
    List<String> nodes = new ArrayList<>();
    List<String> addresses = new ArrayList<>();
    Map<String, Long> rules = new TreeMap<>();
    Map<String, String> routes = new TreeMap<>();
    for (Map.Entry<String, String> n : view.nodeAddresses().entrySet()) {
      if (!Addresses.isV6(n.getValue())) {
        long table = BASE + nodes.size();
        String address = Addresses.canonical(n.getValue());
        nodes.add(n.getKey());
        addresses.add(address);
        rules.put(Long.toString(table), table);
        routes.put("default " + table, address);
        // Node ports: the main table's route to the underlay would do, but with the source
        // ADDRESS; this one says CLIENT.
        routes.put(address + " " + EXPORTED, address);
      }
    }
    Map<String, String> svc = new TreeMap<>();
    Map<String, String> fip = new TreeMap<>();
    Map<String, String> chains = new TreeMap<>();
    for (Vrf v : view.vrfs()) {
      if (v.routeTargets().isEmpty()) {
        continue;
      }
      for (Route r : v.routes()) {
        String prefix = Addresses.prefix(r.prefix());
        if (!r.origin().equals(v.network()) || !prefix.endsWith("/32")) {
          continue;
        }
        String address = prefix.substring(0, prefix.indexOf('/'));
        Gateway.Exported gw = Gateway.route(view, address);
        if (gw == null || !gw.vrf().network().equals(v.network())) {
          continue;
        }
        String to = Addresses.canonical(address);
        if (r.nextHop() instanceof NextHop.Service s) {
          for (Map.Entry<NextHop.ServicePort, List<NextHop.Interface>> l :
              new TreeMap<>(s.listeners()).entrySet()) {
            int proto = NftRenderer.protocol(l.getKey().protocol(), false);
            if (proto < 0 || l.getKey().protocol() == Protocol.ICMP) {
              continue;
            }
            List<String> serving = Gateway.nodes(Gateway.family(l.getValue(), address));
            String chain = chain(chains, nodes, serving, true);
            if (chain != null) {
              svc.put(to + " . " + proto + " . " + l.getKey().port(), "jump " + chain);
              routes.putIfAbsent(to + " " + EXPORTED, addresses.get(nodes.indexOf(serving.get(0))));
            }
          }
        } else {
          List<String> serving =
              Gateway.nodes(Gateway.family(NodeRenderer.members(r.nextHop()), address));
          String chain = chain(chains, nodes, serving, false);
          if (chain != null) {
            fip.put(to, "jump " + chain);
            routes.putIfAbsent(to + " " + EXPORTED, addresses.get(nodes.indexOf(serving.get(0))));
          }
        }
      }
    }
    StringBuilder sb = new StringBuilder();
    sb.append("table ip ").append(TABLE).append(" {\n");
    sb.append("  map gw_svc {\n    type ipv4_addr . inet_proto . inet_service : verdict\n");
    elements(sb, svc);
    sb.append("  }\n  map gw_fip {\n    type ipv4_addr : verdict\n");
    elements(sb, fip);
    sb.append("  }\n");
    for (Map.Entry<String, String> c : chains.entrySet()) {
      sb.append("  chain ").append(c.getKey()).append(" {\n    ");
      sb.append(c.getValue()).append("\n  }\n");
    }
    String lookups =
        "    ip daddr . meta l4proto . th dport vmap @gw_svc\n    ip daddr vmap @gw_fip\n";
    sb.append("  chain output {\n    type route hook output priority mangle; policy accept;\n");
    sb.append(lookups).append("  }\n");
    sb.append("  chain prerouting {\n    type filter hook prerouting priority mangle;");
    sb.append(" policy accept;\n").append(lookups).append("  }\n}\n");
    if (routes.keySet().stream().anyMatch(k -> k.endsWith(" " + EXPORTED))) {
      rules.put(Long.toString(EXPORTED), 0L);
    }
    return new Desired(rules, routes, sb.toString(), true);
  }

  /** The chain that marks a flow with the node the hash picks among {@code serving}. */
  private static String chain(
      Map<String, String> chains, List<String> nodes, List<String> serving, boolean ports) {
    if (serving.isEmpty()) {
      return null;
    }
    List<Long> marks = new ArrayList<>();
    for (String n : serving) {
      int i = nodes.indexOf(n);
      if (i < 0) {
        return null; // cannot happen: serving nodes have addresses
      }
      marks.add(BASE + i);
    }
    String rule;
    if (marks.size() == 1) {
      rule = "meta mark set " + NftRenderer.hex(marks.get(0));
    } else {
      StringBuilder map = new StringBuilder();
      for (int i = 0; i < marks.size(); i++) {
        map.append(i == 0 ? "" : ", ")
            .append(i)
            .append(" : ")
            .append(NftRenderer.hex(marks.get(i)));
      }
      rule =
          (ports ? "meta l4proto { tcp, udp, sctp } " : "")
              + "meta mark set jhash ip saddr . "
              + (ports ? "th sport . ip daddr . th dport" : "ip daddr")
              + " mod "
              + marks.size()
              + " seed "
              + NftRenderer.hex(Jhash.GATEWAY_SEED & 0xffffffffL)
              + " map { "
              + map
              + " }";
    }
    String chain = (ports ? "gw_ports_" : "gw_addr_") + Naming.digest(rule);
    chains.put(chain, rule);
    return chain;
  }

  private static void elements(StringBuilder sb, Map<String, String> elements) {
    if (elements.isEmpty()) {
      return;
    }
    sb.append("    elements = {\n");
    int i = 0;
    for (Map.Entry<String, String> e : elements.entrySet()) {
      sb.append("      ").append(e.getKey()).append(" : ").append(e.getValue());
      sb.append(++i < elements.size() ? ",\n" : "\n");
    }
    sb.append("    }\n");
  }

  private ReconcileReport converge(Desired desired) {
    Instant start = Instant.now();
    int reads = commands.reads();
    int writes = commands.writes();
    Map<String, Integer> changes = new TreeMap<>();
    List<String> errors = new ArrayList<>();
    try {
      // Added before the routes that name it as their source (the kernel refuses a source that is
      // not local), removed after them.
      if (desired.client()) {
        client(true, changes);
      }
      rules(desired, changes);
      routes(desired, changes);
      nft(desired, changes);
      if (!desired.client()) {
        client(false, changes);
      }
    } catch (CommandFailedException e) {
      errors.add(e.getMessage());
    }
    ReconcileReport report =
        new ReconcileReport(
            changes,
            commands.writes() - writes,
            commands.reads() - reads,
            List.of(),
            errors,
            Duration.between(start, Instant.now()));
    if (!errors.isEmpty()) {
      appliedScript = null;
      throw new ReconcileException(name, report);
    }
    if (report.total() > 0) {
      LOG.info("gateway {}: applied {} change(s) {}", name, report.total(), report.changes());
    }
    return report;
  }

  /** Adds {@link #CLIENT}/32 to {@code lo} when {@code wanted} and missing, or removes it. */
  private void client(boolean wanted, Map<String, Integer> changes) {
    // "1: lo    inet 192.0.2.1/32 scope global lo\       valid_lft forever preferred_lft forever"
    boolean have =
        (" " + commands.ip("-4", "-o", "addr", "show", "dev", "lo").stdout() + " ")
            .contains(" inet " + CLIENT + "/32 ");
    if (wanted != have) {
      commands.ipWrite("-4", "addr", wanted ? "add" : "del", CLIENT + "/32", "dev", "lo");
      changes.merge("addresses", 1, Integer::sum);
    }
  }

  private void rules(Desired desired, Map<String, Integer> changes) {
    Set<String> have = new TreeSet<>();
    for (String line : commands.ip("-4", "rule", "show").stdout().split("\n")) {
      // "900:	from all fwmark 0x5700 lookup 22272"
      String[] w = line.trim().split("\\s+");
      if (!w[0].equals(RULE_PRIORITY + ":") && !w[0].equals((RULE_PRIORITY + 1) + ":")) {
        continue;
      }
      for (int i = 0; i + 1 < w.length; i++) {
        if (w[i].equals("lookup")) {
          have.add(w[i + 1]);
        }
      }
    }
    for (Map.Entry<String, Long> rule : desired.rules().entrySet()) {
      String table = rule.getKey();
      if (!have.remove(table)) {
        List<String> args = new ArrayList<>(List.of("-4", "rule", "add"));
        if (rule.getValue() != 0) {
          args.addAll(List.of("fwmark", NftRenderer.hex(rule.getValue())));
        }
        // The unmarked rule comes after the marked ones.
        int pref = rule.getValue() != 0 ? RULE_PRIORITY : RULE_PRIORITY + 1;
        args.addAll(List.of("lookup", table, "pref", "" + pref));
        commands.ipWrite(args.toArray(String[]::new));
        changes.merge("rules", 1, Integer::sum);
      }
    }
    for (String table : have) {
      commands.ipWrite("-4", "rule", "del", "lookup", table);
      changes.merge("rules", 1, Integer::sum);
    }
  }

  private void routes(Desired desired, Map<String, Integer> changes) {
    Map<String, String> have = new TreeMap<>();
    for (String line : commands.ip("-4", "route", "show", "table", "all").stdout().split("\n")) {
      // "default via 10.64.0.11 dev eth0 table 22272 src 192.0.2.1",
      // "10.99.0.5 via 10.64.0.12 dev eth0 table 22527 src 192.0.2.1"
      String[] w = line.trim().split("\\s+");
      if (w.length >= 3 && w[1].equals("via")) {
        String table = null;
        String src = null;
        for (int i = 3; i + 1 < w.length; i++) {
          if (w[i].equals("table")) {
            table = w[i + 1];
          } else if (w[i].equals("src")) {
            src = w[i + 1];
          }
        }
        if (table != null && isOurs(table)) {
          have.put(w[0] + " " + table, w[2] + " src " + src);
        }
      }
    }
    for (Map.Entry<String, String> r : desired.routes().entrySet()) {
      if (!(r.getValue() + " src " + CLIENT).equals(have.remove(r.getKey()))) {
        String[] key = r.getKey().split(" ");
        commands.ipWrite(
            "-4", "route", "replace", key[0], "via", r.getValue(), "src", CLIENT, "table", key[1]);
        changes.merge("routes", 1, Integer::sum);
      }
    }
    for (String extra : have.keySet()) {
      String[] key = extra.split(" ");
      commands.ipWrite("-4", "route", "del", key[0], "table", key[1]);
      changes.merge("routes", 1, Integer::sum);
    }
  }

  private static boolean isOurs(String table) {
    try {
      long t = Long.parseLong(table);
      return t >= BASE && t < BASE + 0x100;
    } catch (NumberFormatException e) {
      return false;
    }
  }

  private void nft(Desired desired, Map<String, Integer> changes) {
    Shell.Result listed = commands.nftListText("ip", TABLE);
    String listing = listed.ok() ? listed.stdout() : null;
    if (desired.script() == null) {
      if (listing != null) {
        commands.nftApply("delete table ip " + TABLE + "\n");
        changes.merge("nft", 1, Integer::sum);
      }
      appliedScript = null;
      appliedListing = null;
      return;
    }
    if (listing != null
        && desired.script().equals(appliedScript)
        && listing.equals(appliedListing)) {
      return;
    }
    // Replaced whole, in one transaction: the gateway's table is small (one element per address
    // and listener), and a flow's mark is only read by its first packet's route lookup.
    commands.nftApply("table ip " + TABLE + "\ndelete table ip " + TABLE + "\n" + desired.script());
    changes.merge("nft", 1, Integer::sum);
    Shell.Result after = commands.nftListText("ip", TABLE);
    appliedScript = desired.script();
    appliedListing = after.ok() ? after.stdout() : null;
  }
}
