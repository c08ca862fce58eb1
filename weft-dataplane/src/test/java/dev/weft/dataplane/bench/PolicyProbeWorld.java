package dev.weft.dataplane.bench;

import dev.weft.control.World;
import dev.weft.control.World.Pod;
import dev.weft.dataplane.Probe;
import dev.weft.model.ConfigObject;
import dev.weft.model.Protocol;
import dev.weft.model.VirtualNetwork;
import dev.weft.model.VirtualRouter;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * The probe benchmark's cluster in default mode, where the virtual networks let every pod reach
 * every other and NetworkPolicy decides: {@code pods} pods in {@code namespaces} namespaces of one
 * pod network on two nodes, as {@link PolicyWorld}'s namespaces ({@code web}, {@code api}, {@code
 * db}, {@code cache} pods, in turn), with {@link PolicyWorld}'s three policies per namespace when
 * {@code policies}. Destinations are every pod on 8080/TCP (web and api serve it) and 5432/TCP
 * (db's named port {@code postgres}).
 */
final class PolicyProbeWorld {
  final List<Probe.Source> sources = new ArrayList<>();
  final List<Probe.Destination> destinations = new ArrayList<>();

  PolicyProbeWorld(World world, int podCount, int namespaces, boolean policies) {
    VirtualRouter node1 = World.router("node-1", "192.168.0.1");
    VirtualRouter node2 = World.router("node-2", "192.168.0.2");
    VirtualNetwork network = World.network("k8s-default-pod-network");
    List<ConfigObject> objects = new ArrayList<>(List.of(node1, node2, network));
    for (int n = 0; n < namespaces; n++) {
      Map<String, String> labels = new LinkedHashMap<>();
      labels.put("team", "team-" + (n / 5));
      labels.put("env", n % 3 == 0 ? "prod" : "dev");
      objects.add(World.namespace("ns-" + n, labels));
      if (policies) {
        objects.addAll(PolicyWorld.policies(n));
      }
    }
    List<Pod> pods = new ArrayList<>();
    for (int i = 0; i < podCount; i++) {
      int n = i % namespaces;
      int k = i / namespaces;
      String app = PolicyWorld.APPS[k % PolicyWorld.APPS.length];
      Pod p =
          World.labelled(
              World.pod(
                  "ns-" + n,
                  app + "-" + k,
                  network,
                  i % 2 == 0 ? node1 : node2,
                  "10.32." + (i / 250) + "." + (1 + i % 250)),
              PolicyWorld.podLabels(app, n, k),
              PolicyWorld.declaredPorts(app).toArray(dev.weft.model.ContainerPort[]::new));
      pods.add(p);
      objects.addAll(List.of(p.objects()));
    }
    for (int from = 0; from < objects.size(); from += 300) {
      world.put(
          objects.subList(from, Math.min(from + 300, objects.size())).toArray(ConfigObject[]::new));
    }
    for (Pod p : pods) {
      String name = p.vm().annotations().get("namespace") + "/" + p.vm().annotations().get("name");
      sources.add(new Probe.Source(name, p.id()));
      destinations.add(new Probe.Destination(name, p.id(), Protocol.TCP, 8080));
      destinations.add(new Probe.Destination(name, p.id(), Protocol.TCP, 5432));
    }
  }
}
