package dev.weft.agent.linux;

import static dev.weft.control.World.labelled;
import static dev.weft.control.World.link;
import static dev.weft.control.World.linked;
import static dev.weft.control.World.listener;
import static dev.weft.control.World.loadbalancer;
import static dev.weft.control.World.member;
import static dev.weft.control.World.namespace;
import static dev.weft.control.World.network;
import static dev.weft.control.World.pass;
import static dev.weft.control.World.pod;
import static dev.weft.control.World.pool;
import static dev.weft.control.World.router;
import static dev.weft.control.World.rule;
import static dev.weft.control.policy.Policies.declared;
import static dev.weft.control.policy.Policies.labels;
import static dev.weft.control.policy.Policies.peers;
import static dev.weft.control.policy.Policies.ports;
import static dev.weft.control.policy.Policies.sel;
import static dev.weft.control.policy.Policies.tcp;

import dev.weft.control.World;
import dev.weft.control.World.Pod;
import dev.weft.control.policy.Policies;
import dev.weft.model.Action;
import dev.weft.model.ConfigObject;
import dev.weft.model.FirewallPolicy;
import dev.weft.model.FloatingIp;
import dev.weft.model.FloatingIpPool;
import dev.weft.model.Loadbalancer;
import dev.weft.model.LoadbalancerListener;
import dev.weft.model.LoadbalancerPool;
import dev.weft.model.NetworkPolicy;
import dev.weft.model.Protocol;
import dev.weft.model.Ref;
import dev.weft.model.VirtualNetwork;
import dev.weft.model.VirtualRouter;
import java.util.List;
import java.util.Map;

/**
 * The cluster the Linux dataplane's tests program: two nodes; networks red and blue joined by a
 * network policy (which denies tcp red to blue port 9090, then passes everything), green joined to
 * nothing, and a service network joined to red and blue; pods of red and blue on both nodes, one of
 * green; service {@code web} (VIP {@value #VIP}:80, node port 30080) on two red backends on
 * different nodes; a floating IP ({@value #FIP}) of network public, joined to red only, on blue's
 * {@code y/b}; and NetworkPolicy {@code x/web-from-a}: red's {@code x/b} accepts port 8080 only
 * from pods {@code pod=a} of its own namespace, and from the internet as the usual ipBlock says it
 * ({@code 0.0.0.0/0} except the private ranges): the outside host ({@link LinuxGateway#CLIENT}) but
 * neither pods nor nodes (a node port's flow to a backend on another node comes from its node's
 * address). Public has route targets: the gateway reaches y/b's floating IP and {@code web}'s
 * floating IP {@value #WEB_FIP} from outside, which public's ACL passes except tcp port 9090.
 */
final class Scenario implements AutoCloseable {
  static final String NODE1 = "node-1";
  static final String NODE2 = "node-2";
  static final String NODE1_ADDRESS = "10.64.0.11";
  static final String NODE2_ADDRESS = "10.64.0.12";
  static final String VIP = "10.96.0.10";
  static final String FIP = "10.99.0.5";
  static final String WEB_FIP = "10.99.0.50";

  final World world = new World();
  final VirtualRouter node1 = router(NODE1, NODE1_ADDRESS);
  final VirtualRouter node2 = router(NODE2, NODE2_ADDRESS);
  final VirtualNetwork red = network("red");
  final VirtualNetwork blue = network("blue");
  final VirtualNetwork green = network("green");
  final VirtualNetwork services = network("services");
  final VirtualNetwork pub = World.exported(network("public"), "target:64512:100");
  final FloatingIpPool pool = World.floatingIpPool("pool", pub);
  final NetworkPolicy redBlue =
      World.policy(
          "red-blue",
          rule(
              Action.DENY,
              Protocol.TCP,
              World.net(red),
              null,
              ">",
              World.net(blue),
              World.ports(9090)),
          pass(red, "<>", blue));
  final NetworkPolicy redServices = World.policy("red-services", pass(red, "<>", services));
  final NetworkPolicy blueServices = World.policy("blue-services", pass(blue, "<>", services));
  final NetworkPolicy redPublic = World.policy("red-public", pass(red, "<>", pub));

  /** What outside may send into public: anything but tcp port 9090. */
  final NetworkPolicy outsidePublic =
      World.policy(
          "outside-public",
          rule(
              Action.DENY,
              Protocol.TCP,
              dev.weft.model.AddressMatch.ANY,
              null,
              ">",
              World.net(pub),
              World.ports(9090)),
          rule(Action.PASS, dev.weft.model.AddressMatch.ANY, ">", World.net(pub)));

  /** red, namespace x. */
  final Pod xa = labelled(pod("x", "a", red, node1, "10.32.0.1"), labels("pod=a"));

  final Pod xb =
      labelled(
          pod("x", "b", red, node2, "10.32.0.2"),
          labels("pod=b,app=web"),
          declared("http", Protocol.TCP, 8080));
  final Pod xc =
      labelled(
          pod("x", "c", red, node1, "10.32.0.3"),
          labels("pod=c,app=web"),
          declared("http", Protocol.TCP, 8080));

  /** blue, namespace y. */
  final Pod ya = labelled(pod("y", "a", blue, node1, "10.40.0.1"), labels("pod=a"));

  final Pod yb = labelled(pod("y", "b", blue, node2, "10.40.0.2"), labels("pod=b"));

  /** green, namespace z: joined to nothing. */
  final Pod za = labelled(pod("z", "a", green, node2, "10.50.0.1"), labels("pod=a"));

  final Loadbalancer web = loadbalancer("web", VIP, services);
  final LoadbalancerListener webListener = listener(web, Protocol.TCP, 80, 30080);
  final LoadbalancerPool webPool = pool(webListener);

  /** A floating IP of the public pool on blue's y/b, which only red (joined to public) reaches. */
  final FloatingIp ybFip =
      new FloatingIp(
          World.uuid("fip", "yb"),
          pool.fqName().child("yb"),
          Ref.to(pool),
          Map.of(),
          FIP,
          List.of(Ref.to(yb.vmi())),
          null);

  /** A floating IP of the public pool fronting {@code web}: its backends from outside. */
  final FloatingIp webFip = World.floatingIp("web", pool, WEB_FIP, web);

  final FirewallPolicy webFromA =
      Policies.policy("x", "web-from-a", sel("pod=b"))
          .ingress(Policies.rule(peers(Policies.pods(sel("pod=a"))), ports(tcp(8080))))
          .ingress(
              Policies.rule(
                  peers(
                      Policies.block("0.0.0.0/0", "10.0.0.0/8", "172.16.0.0/12", "192.168.0.0/16")),
                  ports(tcp(8080))))
          .build();

  List<Pod> pods() {
    return List.of(xa, xb, xc, ya, yb, za);
  }

  Scenario build() {
    world.put(node1, node2, redBlue, redServices, blueServices, redPublic, outsidePublic);
    world.put(
        linked(red, link(redBlue, 0), link(redServices, 1), link(redPublic, 2)),
        linked(pub, link(redPublic, 0), link(outsidePublic, 1)),
        linked(blue, link(redBlue, 0), link(blueServices, 1)),
        linked(services, link(redServices, 0), link(blueServices, 1)),
        green);
    world.put(
        namespace("x", labels("ns=x")), namespace("y", labels("ns=y")), namespace("z", labels("")));
    world.put(xa, xb, xc, ya, yb, za);
    world.put(service());
    world.put(pool, ybFip, webFip);
    world.put(webFromA);
    return this;
  }

  ConfigObject[] service() {
    return new ConfigObject[] {
      web, webListener, webPool, member(webPool, xb, 8080), member(webPool, xc, 8080)
    };
  }

  NodeState render(String node) {
    return world.read(v -> new NodeRenderer().render(v, node));
  }

  @Override
  public void close() {
    world.close();
  }
}
