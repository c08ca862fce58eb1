package dev.weft.control;

import dev.weft.model.Action;
import dev.weft.model.AddressMatch;
import dev.weft.model.ConfigObject;
import dev.weft.model.ContainerPort;
import dev.weft.model.FloatingIp;
import dev.weft.model.FloatingIpPool;
import dev.weft.model.FqName;
import dev.weft.model.InstanceIp;
import dev.weft.model.IpPrefix;
import dev.weft.model.Loadbalancer;
import dev.weft.model.LoadbalancerListener;
import dev.weft.model.LoadbalancerMember;
import dev.weft.model.LoadbalancerPool;
import dev.weft.model.Names;
import dev.weft.model.NetworkPolicy;
import dev.weft.model.Owner;
import dev.weft.model.PolicyLink;
import dev.weft.model.PolicyRule;
import dev.weft.model.PortRange;
import dev.weft.model.Project;
import dev.weft.model.Protocol;
import dev.weft.model.Ref;
import dev.weft.model.VirtualMachine;
import dev.weft.model.VirtualMachineInterface;
import dev.weft.model.VirtualNetwork;
import dev.weft.model.VirtualRouter;
import dev.weft.store.memory.MemoryConfigStore;
import dev.weft.store.objects.ObjectCache;
import dev.weft.store.objects.ObjectStore;
import dev.weft.store.objects.ObjectTxn;
import dev.weft.store.objects.Stored;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.TreeMap;
import java.util.UUID;
import java.util.function.Function;

/**
 * For tests: an in-memory store, its object cache, and a {@link Compiler} following that cache,
 * with terse builders for the objects compilation reads. Object UUIDs derive from their names, so
 * the same builder call gives the same object (and a later {@link #put} of it is an update).
 */
public final class World implements AutoCloseable {
  public static final String DOMAIN = "default-domain";
  public static final String PROJECT = "test";
  private static final Duration WAIT = Duration.ofSeconds(30);

  private final MemoryConfigStore kv = new MemoryConfigStore();
  private final ObjectStore store = new ObjectStore(kv);
  private final Compiler compiler = Compiler.follow(store.cache());

  public Compiler compiler() {
    return compiler;
  }

  public ObjectStore store() {
    return store;
  }

  /** A new cache of the same store and a compiler over it, built from scratch; close both. */
  public Compiler fresh(List<AutoCloseable> toClose) {
    ObjectCache cache = new ObjectCache(kv, store.codec()).start();
    Compiler c = Compiler.follow(cache);
    toClose.add(c);
    toClose.add(cache);
    return c;
  }

  /** Creates or updates each object, in one transaction, and waits until it is compiled. */
  public long put(ConfigObject... objects) {
    ObjectTxn txn = store.begin();
    for (ConfigObject o : objects) {
      Optional<Stored<ConfigObject>> old = store.cache().get(o.type(), o.uuid());
      if (old.isPresent()) {
        txn.update(old.get(), o);
      } else {
        txn.create(o);
      }
    }
    return settle(store.commit(txn));
  }

  /** Deletes each object that exists, in one transaction, and waits until it is compiled. */
  public long delete(ConfigObject... objects) {
    ObjectTxn txn = store.begin();
    for (ConfigObject o : objects) {
      store.cache().get(o.type(), o.uuid()).ifPresent(txn::delete);
    }
    return settle(store.commit(txn));
  }

  /** Waits until the compiler has compiled store revision {@code revision}. */
  public long settle(long revision) {
    try {
      if (!compiler.awaitRevision(revision, WAIT)) {
        throw new AssertionError(
            "compiler at revision " + compiler.revision() + ", waited for " + revision);
      }
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      throw new AssertionError(e);
    }
    return revision;
  }

  public <T> T read(Function<CompiledView, T> reader) {
    return compiler.read(reader);
  }

  public Acl acl(VirtualNetwork n) {
    return read(v -> v.vrf(n.fqName()).acl());
  }

  public Map<FqName, List<FqName>> imports(VirtualNetwork n) {
    return read(v -> new TreeMap<>(v.vrf(n.fqName()).imports()));
  }

  public List<Route> routes(VirtualNetwork n) {
    return read(v -> List.copyOf(v.vrf(n.fqName()).routes()));
  }

  public Route lookup(VirtualNetwork n, String address) {
    return read(v -> v.vrf(n.fqName()).lookup(address));
  }

  public Endpoint endpoint(VirtualMachineInterface vmi) {
    return read(v -> v.endpoint(vmi.uuid()));
  }

  @Override
  public void close() {
    compiler.close();
    store.close();
    kv.close();
  }

  // ---------------------------------------------------------------------------------------------
  // Builders

  public static UUID uuid(String kind, String name) {
    return UUID.nameUUIDFromBytes((kind + "/" + name).getBytes(StandardCharsets.UTF_8));
  }

  public static FqName networkName(String name) {
    return FqName.of(DOMAIN, PROJECT, name);
  }

  public static VirtualNetwork network(String name, PolicyLink... links) {
    return new VirtualNetwork(
        uuid("vn", name),
        networkName(name),
        null,
        Map.of(),
        List.of(),
        List.of(),
        Arrays.asList(links));
  }

  /** {@code n} with route targets: a gateway imports its routes, so outside reaches them. */
  public static VirtualNetwork exported(VirtualNetwork n, String... routeTargets) {
    return new VirtualNetwork(
        n.uuid(),
        n.fqName(),
        n.parent(),
        n.annotations(),
        n.networkIpamRefs(),
        Arrays.asList(routeTargets),
        n.networkPolicyRefs());
  }

  /** {@code n} with exactly {@code links}. */
  public static VirtualNetwork linked(VirtualNetwork n, PolicyLink... links) {
    return n.withPolicies(Arrays.asList(links));
  }

  public static PolicyLink link(NetworkPolicy p, int sequence) {
    return new PolicyLink(Ref.to(p), sequence);
  }

  public static NetworkPolicy policy(String name, PolicyRule... rules) {
    return new NetworkPolicy(
        uuid("np", name), FqName.of(DOMAIN, PROJECT, name), null, Map.of(), Arrays.asList(rules));
  }

  public static AddressMatch net(VirtualNetwork n) {
    return AddressMatch.network(n.fqName());
  }

  public static AddressMatch subnet(String cidr) {
    return new AddressMatch(null, IpPrefix.parse(cidr));
  }

  public static List<PortRange> ports(int... ports) {
    List<PortRange> out = new ArrayList<>();
    for (int p : ports) {
      out.add(PortRange.of(p));
    }
    return out;
  }

  public static PolicyRule rule(
      Action action,
      Protocol protocol,
      AddressMatch source,
      List<PortRange> sourcePorts,
      String direction,
      AddressMatch destination,
      List<PortRange> destinationPorts) {
    return new PolicyRule(
        action, direction, protocol, source, sourcePorts, destination, destinationPorts);
  }

  /** {@code ACTION any A port any DIRECTION B port any}. */
  public static PolicyRule rule(Action action, AddressMatch a, String direction, AddressMatch b) {
    return rule(action, Protocol.ANY, a, null, direction, b, null);
  }

  public static PolicyRule pass(VirtualNetwork a, String direction, VirtualNetwork b) {
    return rule(Action.PASS, net(a), direction, net(b));
  }

  public static PolicyRule deny(VirtualNetwork a, String direction, VirtualNetwork b) {
    return rule(Action.DENY, net(a), direction, net(b));
  }

  public static VirtualRouter router(String node, String address) {
    return new VirtualRouter(
        uuid("vr", node), FqName.of("default-global-system-config", node), null, Map.of(), address);
  }

  /** A pod's virtual machine, on {@code router}'s node (null: not placed). */
  public static VirtualMachine vm(String ns, String pod, VirtualRouter router) {
    return new VirtualMachine(
        uuid("vm", ns + "/" + pod),
        FqName.of("k8s__" + ns + "__" + pod),
        null,
        Owner.pod("k8s", ns, pod, "").annotations(),
        router == null ? null : Ref.to(router));
  }

  public static VirtualMachineInterface vmi(
      String ns, String pod, VirtualMachine vm, VirtualNetwork network) {
    UUID id = uuid("vmi", ns + "/" + pod);
    return new VirtualMachineInterface(
        id,
        FqName.of(DOMAIN, "k8s-" + ns, pod + "__" + id),
        null,
        Owner.pod("k8s", ns, pod, "").annotations(),
        vm == null ? null : Ref.to(vm),
        Ref.to(network),
        mac(id),
        List.of(),
        List.of());
  }

  /** {@code vmi} moved to {@code network}. */
  public static VirtualMachineInterface moved(VirtualMachineInterface vmi, VirtualNetwork network) {
    return new VirtualMachineInterface(
        vmi.uuid(),
        vmi.fqName(),
        vmi.parent(),
        vmi.annotations(),
        vmi.virtualMachine(),
        Ref.to(network),
        vmi.macAddress(),
        vmi.securityGroups(),
        vmi.tags());
  }

  /** An instance IP named after its address and interfaces, on {@code interfaces}. */
  public static InstanceIp ip(
      String address, VirtualNetwork network, VirtualMachineInterface... interfaces) {
    return ip(address, address, network, interfaces);
  }

  public static InstanceIp ip(
      String name, String address, VirtualNetwork network, VirtualMachineInterface... interfaces) {
    String canonical = IpPrefix.canonicalAddress(address);
    boolean v6 = canonical.indexOf(':') >= 0;
    return new InstanceIp(
        uuid("iip", name),
        FqName.of("iip-" + name.replace(':', '-')),
        null,
        Map.of(),
        canonical,
        null,
        IpPrefix.parse(canonical + (v6 ? "/128" : "/32")),
        null,
        "test-pool",
        Ref.to(network),
        Arrays.stream(interfaces).map(Ref::to).toList(),
        false);
  }

  public static String mac(UUID id) {
    long bits = id.getLeastSignificantBits();
    StringBuilder sb = new StringBuilder("02");
    for (int i = 0; i < 5; i++) {
      sb.append(':').append(String.format("%02x", (bits >>> (8 * i)) & 0xff));
    }
    return sb.toString();
  }

  /** A placed (or, with {@code router} null, unplaced) pod: machine, interface, address. */
  public record Pod(VirtualMachine vm, VirtualMachineInterface vmi, InstanceIp ip) {
    public ConfigObject[] objects() {
      return new ConfigObject[] {vm, vmi, ip};
    }

    public UUID id() {
      return vmi.uuid();
    }

    public String address() {
      return ip.address();
    }
  }

  public static Pod pod(
      String ns, String name, VirtualNetwork network, VirtualRouter router, String address) {
    VirtualMachine vm = vm(ns, name, router);
    VirtualMachineInterface vmi = vmi(ns, name, vm, network);
    return new Pod(vm, vmi, ip(ns + "-" + name, address, network, vmi));
  }

  /**
   * {@code p} with pod labels {@code labels} and declared container ports: what NetworkPolicy
   * selects pods by, and resolves named ports against.
   */
  public static Pod labelled(Pod p, Map<String, String> labels, ContainerPort... ports) {
    VirtualMachineInterface v = p.vmi();
    return new Pod(
        p.vm(),
        new VirtualMachineInterface(
            v.uuid(),
            v.fqName(),
            v.parent(),
            v.annotations(),
            v.virtualMachine(),
            v.virtualNetwork(),
            v.macAddress(),
            v.securityGroups(),
            v.tags(),
            labels,
            Arrays.asList(ports)),
        p.ip());
  }

  /** The project of Kubernetes namespace {@code ns}, with the namespace's labels. */
  public static Project namespace(String ns, Map<String, String> labels) {
    return new Project(
        uuid("project", ns),
        Names.projectFq(Names.DEFAULT_CLUSTER, ns),
        null,
        Owner.namespace(Names.DEFAULT_CLUSTER, ns, "").annotations(),
        labels);
  }

  /** Creates (or updates) the pods' objects in one transaction. */
  public long put(Pod... pods) {
    List<ConfigObject> all = new ArrayList<>();
    for (Pod p : pods) {
      all.addAll(List.of(p.objects()));
    }
    return put(all.toArray(ConfigObject[]::new));
  }

  // ---------------------------------------------------------------------------------------------
  // Services and floating IPs

  /** A service's load balancer, its VIP in {@code network}; UUID from {@code name}. */
  public static Loadbalancer loadbalancer(String name, String vip, VirtualNetwork network) {
    return new Loadbalancer(
        uuid("lb", name),
        network.fqName().child(name),
        null,
        Map.of(),
        "native",
        vip,
        Ref.to(network),
        List.of());
  }

  /** A listener of {@code lb} on {@code protocol}/{@code port}, with a node port or null. */
  public static LoadbalancerListener listener(
      Loadbalancer lb, Protocol protocol, int port, Integer nodePort) {
    String name = protocol + "-" + port;
    return new LoadbalancerListener(
        uuid("listener", lb.fqName() + "/" + name),
        lb.fqName().child(name),
        Ref.to(lb),
        Map.of(),
        Ref.to(lb),
        protocol,
        port,
        nodePort);
  }

  public static LoadbalancerPool pool(LoadbalancerListener l) {
    return new LoadbalancerPool(
        uuid("pool", l.fqName().toString()),
        l.fqName().child("pool"),
        Ref.to(l),
        Map.of(),
        Ref.to(l),
        l.protocol(),
        "ecmp");
  }

  /** {@code backend} as a member of {@code pool}, at its address and target port {@code port}. */
  public static LoadbalancerMember member(LoadbalancerPool pool, Pod backend, int port) {
    return new LoadbalancerMember(
        uuid("member", pool.fqName() + "/" + backend.address()),
        pool.fqName().child(backend.address()),
        Ref.to(pool),
        Map.of(),
        backend.address(),
        port,
        Ref.to(backend.vmi()));
  }

  public static FloatingIpPool floatingIpPool(String name, VirtualNetwork network) {
    return new FloatingIpPool(
        uuid("fip-pool", network.fqName() + "/" + name),
        network.fqName().child(name),
        Ref.to(network),
        Map.of(),
        List.of());
  }

  /** A floating IP of {@code pool} fronting {@code lb} (a LoadBalancer service's address). */
  public static FloatingIp floatingIp(
      String name, FloatingIpPool pool, String address, Loadbalancer lb) {
    return new FloatingIp(
        uuid("fip", pool.fqName() + "/" + name),
        pool.fqName().child(name),
        Ref.to(pool),
        Map.of(),
        address,
        List.of(),
        null,
        lb == null ? null : Ref.to(lb));
  }

  /** Every VRF and endpoint, as plain values that compare with equals. */
  public static CompiledState state(Compiler c) {
    return c.read(CompiledState::of);
  }

  /**
   * A compiled view copied out into values.
   *
   * @param nodePorts node port ({@code 30080/TCP}) to what it leads to
   */
  public record CompiledState(
      long revision,
      Map<FqName, VrfValue> vrfs,
      Map<UUID, Endpoint> endpoints,
      Map<String, NodePort> nodePorts,
      Map<String, String> nodeAddresses) {
    static CompiledState of(CompiledView view) {
      Map<FqName, VrfValue> vrfs = new TreeMap<>();
      for (Vrf v : view.vrfs()) {
        vrfs.put(
            v.network(), new VrfValue(Map.copyOf(v.imports()), v.acl(), List.copyOf(v.routes())));
      }
      Map<UUID, Endpoint> endpoints = new TreeMap<>();
      for (Endpoint e : view.endpoints()) {
        endpoints.put(e.interfaceUuid(), e);
      }
      Map<String, NodePort> nodePorts = new TreeMap<>();
      for (NodePort n : view.nodePorts()) {
        nodePorts.put(n.nodePort().toString(), n);
      }
      return new CompiledState(
          view.revision(), vrfs, endpoints, nodePorts, new TreeMap<>(view.nodeAddresses()));
    }
  }

  /** One VRF's state as values. */
  public record VrfValue(Map<FqName, List<FqName>> imports, Acl acl, List<Route> routes) {}
}
