package dev.weft.dataplane.bench;

import static dev.weft.control.World.link;
import static dev.weft.control.World.net;
import static dev.weft.control.World.ports;
import static dev.weft.control.World.rule;
import static dev.weft.control.World.subnet;

import dev.weft.control.World;
import dev.weft.control.World.Pod;
import dev.weft.dataplane.Probe;
import dev.weft.model.Action;
import dev.weft.model.AddressMatch;
import dev.weft.model.ConfigObject;
import dev.weft.model.NetworkPolicy;
import dev.weft.model.PolicyLink;
import dev.weft.model.PolicyRule;
import dev.weft.model.Protocol;
import dev.weft.model.VirtualNetwork;
import dev.weft.model.VirtualRouter;
import java.util.ArrayList;
import java.util.List;

/**
 * The probe benchmark's cluster: {@code pods} pods spread evenly over {@code networks} networks
 * (one per namespace) on two nodes. Networks 0–9 are isolated (no policy, so no route out). The
 * next ones, up to the last ten, are joined in pairs by a policy with port rules: deny TCP 22 and
 * pass TCP 80 from the first to the second, TCP 443 from the second to the first ({@code <>}, whose
 * reverse entry passes only replies from port 443), UDP 53 both ways; the first ten pairs also sit
 * under a guard policy with a subnet rule that their packets are checked against. The last ten
 * networks share a hub policy: the first reaches each other one, and a subnet rule passes TCP 8080
 * from the hub's addresses. With 1,000 pods in 50 networks, 66,400 of the 2,000,000 cells are
 * reachable.
 */
final class ProbeWorld {
  final List<Pod> pods = new ArrayList<>();
  final List<Probe.Source> sources = new ArrayList<>();
  final List<Probe.Destination> destinations = new ArrayList<>();

  ProbeWorld(World world, int podCount, int networkCount) {
    VirtualRouter node1 = World.router("node-1", "192.168.0.1");
    VirtualRouter node2 = World.router("node-2", "192.168.0.2");
    List<ConfigObject> objects = new ArrayList<>(List.of(node1, node2));
    List<VirtualNetwork> bare = new ArrayList<>();
    for (int k = 0; k < networkCount; k++) {
      bare.add(World.network("ns-" + k + "-pod-network"));
    }
    List<List<PolicyLink>> links = new ArrayList<>();
    for (int k = 0; k < networkCount; k++) {
      links.add(new ArrayList<>());
    }
    NetworkPolicy guard =
        World.policy(
            "guard",
            rule(
                Action.DENY,
                Protocol.TCP,
                subnet("10.250.0.0/16"),
                null,
                ">",
                AddressMatch.ANY,
                ports(80, 443)));
    objects.add(guard);
    int hubStart = Math.max(10, networkCount - 10);
    for (int k = 10; k + 1 < hubStart; k += 2) {
      VirtualNetwork x = bare.get(k);
      VirtualNetwork y = bare.get(k + 1);
      NetworkPolicy join =
          World.policy(
              "join-" + k,
              rule(Action.DENY, Protocol.TCP, net(x), null, ">", net(y), ports(22)),
              rule(Action.PASS, Protocol.TCP, net(x), null, ">", net(y), ports(80)),
              rule(Action.PASS, Protocol.TCP, net(y), null, "<>", net(x), ports(443)),
              rule(Action.PASS, Protocol.UDP, net(x), null, "<>", net(y), ports(53)));
      objects.add(join);
      links.get(k).add(link(join, 1));
      links.get(k + 1).add(link(join, 1));
      if (k < 30) {
        links.get(k).add(link(guard, 0));
        links.get(k + 1).add(link(guard, 0));
      }
    }
    if (hubStart + 1 < networkCount) {
      List<PolicyRule> rules = new ArrayList<>();
      VirtualNetwork hub = bare.get(hubStart);
      for (int k = hubStart + 1; k < networkCount; k++) {
        rules.add(World.pass(hub, "<>", bare.get(k)));
      }
      rules.add(
          rule(
              Action.PASS,
              Protocol.TCP,
              subnet("10." + hubStart + ".0.0/16"),
              null,
              ">",
              AddressMatch.ANY,
              ports(8080)));
      NetworkPolicy shared = World.policy("hub", rules.toArray(PolicyRule[]::new));
      objects.add(shared);
      for (int k = hubStart; k < networkCount; k++) {
        links.get(k).add(link(shared, 1));
      }
    }
    List<VirtualNetwork> networks = new ArrayList<>();
    for (int k = 0; k < networkCount; k++) {
      networks.add(World.linked(bare.get(k), links.get(k).toArray(PolicyLink[]::new)));
    }
    objects.addAll(networks);
    for (int i = 0; i < podCount; i++) {
      int k = i % networkCount;
      int n = i / networkCount;
      Pod p =
          World.pod(
              "ns-" + k,
              "pod-" + n,
              networks.get(k),
              i % 2 == 0 ? node1 : node2,
              "10." + k + "." + (n / 250) + "." + (1 + n % 250));
      pods.add(p);
      objects.addAll(List.of(p.objects()));
    }
    // In transactions of a few hundred objects: the store checks a transaction's operations
    // pairwise, so one transaction of 60,000 objects would take hours.
    for (int from = 0; from < objects.size(); from += 300) {
      world.put(
          objects.subList(from, Math.min(from + 300, objects.size())).toArray(ConfigObject[]::new));
    }
    for (Pod p : pods) {
      String name = p.vm().annotations().get("namespace") + "/" + p.vm().annotations().get("name");
      sources.add(new Probe.Source(name, p.id()));
      destinations.add(new Probe.Destination(name, p.id(), Protocol.TCP, 80));
      destinations.add(new Probe.Destination(name, p.id(), Protocol.TCP, 443));
    }
  }

  /** A checksum of a matrix, to see that an optimisation changed no cell. */
  static String summary(Probe.Matrix m) {
    long reachable = 0;
    long hash = 17;
    for (String row : m.rows()) {
      hash = hash * 31 + row.hashCode();
      for (int j = 0; j < row.length(); j++) {
        if (row.charAt(j) == Probe.REACHABLE) {
          reachable++;
        }
      }
    }
    return m.rows().size()
        + " x "
        + m.destinations().size()
        + " cells, "
        + reachable
        + " reachable, checksum "
        + Long.toHexString(hash);
  }
}
