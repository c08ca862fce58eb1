package dev.weft.control;

import static org.assertj.core.api.Assertions.assertThat;

import dev.weft.control.World.CompiledState;
import dev.weft.model.Action;
import dev.weft.model.AddressMatch;
import dev.weft.model.ConfigObject;
import dev.weft.model.FqName;
import dev.weft.model.InstanceIp;
import dev.weft.model.IpPrefix;
import dev.weft.model.NetworkPolicy;
import dev.weft.model.ObjectType;
import dev.weft.model.Owner;
import dev.weft.model.PolicyLink;
import dev.weft.model.PolicyRule;
import dev.weft.model.PortRange;
import dev.weft.model.Protocol;
import dev.weft.model.Ref;
import dev.weft.model.VirtualMachine;
import dev.weft.model.VirtualMachineInterface;
import dev.weft.model.VirtualNetwork;
import dev.weft.model.VirtualRouter;
import dev.weft.store.objects.ObjectTxn;
import dev.weft.store.objects.Stored;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Random;
import java.util.Set;
import java.util.UUID;
import java.util.stream.LongStream;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.MethodSource;

/**
 * The key property of the compiler: whatever sequence of creates, updates and deletes reached the
 * store, the state the compiler kept incrementally equals the state a new compiler builds from
 * scratch over the same store. Checked every few steps of a random history, for a compiler
 * following from the start and for one that joined while writes were in flight.
 */
class IncrementalEqualsScratchPropertyTest {
  private static final int STEPS = 200;
  private static final int CHECK_EVERY = 5;
  private static final Duration WAIT = Duration.ofSeconds(30);

  private static final int NETWORKS = 6; // n0..n5 may exist; n6 is named by rules, never created
  private static final int POLICIES = 5;
  private static final int ROUTERS = 3;
  private static final int PODS = 12;
  private static final int IPS = 16;
  private static final List<String> ADDRESSES = addresses();
  private static final List<String> SUBNETS =
      List.of("10.0.0.0/8", "10.0.0.0/30", "10.0.0.8/29", "fd00::/8", "192.168.0.0/16");
  private static final List<String> NODE_ADDRESSES =
      List.of("192.168.0.1", "192.168.0.2", "192.168.0.3", "fd01::1");
  private static final List<String> FLOATING_ADDRESSES =
      List.of("192.0.2.1", "192.0.2.2", "2001:db8::1");

  /** How much of what matters the random histories reached, so they cannot silently degrade. */
  private static final class Coverage {
    private int checks;
    private int leaked;
    private int ecmp;
    private int placed;
    private int acls;
    private int servicesBehindFloatingIps;
    private int nodePorts;

    synchronized void record(CompiledState s) {
      checks++;
      if (s.vrfs().entrySet().stream()
          .anyMatch(
              e -> e.getValue().routes().stream().anyMatch(r -> !r.origin().equals(e.getKey())))) {
        leaked++;
      }
      if (s.vrfs().values().stream()
          .anyMatch(v -> v.routes().stream().anyMatch(r -> r.nextHop() instanceof NextHop.Ecmp))) {
        ecmp++;
      }
      if (s.endpoints().values().stream().anyMatch(e -> e.nodeAddress() != null)) {
        placed++;
      }
      if (s.vrfs().values().stream().anyMatch(v -> !v.acl().entries().isEmpty())) {
        acls++;
      }
      if (s.vrfs().values().stream()
          .flatMap(v -> v.routes().stream())
          .anyMatch(
              r ->
                  r.nextHop() instanceof NextHop.Service
                      && FLOATING_ADDRESSES.contains(r.prefix().cidr().split("/")[0]))) {
        servicesBehindFloatingIps++;
      }
      if (!s.nodePorts().isEmpty()) {
        nodePorts++;
      }
    }
  }

  private static final Coverage COVERAGE = new Coverage();

  @AfterAll
  static void historiesReachedLeakingEcmpPlacementAndAcls() {
    synchronized (COVERAGE) {
      if (COVERAGE.checks >= 100) {
        assertThat(COVERAGE.leaked)
            .as("checks with a leaked route")
            .isGreaterThan(COVERAGE.checks / 20);
        assertThat(COVERAGE.ecmp).as("checks with an ECMP route").isGreaterThan(0);
        assertThat(COVERAGE.placed)
            .as("checks with a placed endpoint")
            .isGreaterThan(COVERAGE.checks / 5);
        assertThat(COVERAGE.acls).as("checks with an ACL entry").isGreaterThan(COVERAGE.checks / 2);
        assertThat(COVERAGE.servicesBehindFloatingIps)
            .as("checks with a floating IP routed to a load balancer")
            .isGreaterThan(0);
        assertThat(COVERAGE.nodePorts).as("checks with a node port").isGreaterThan(0);
      }
    }
  }

  static LongStream seeds() {
    // -Dweft.property.seeds=N runs more histories when hunting for a rare divergence.
    return LongStream.range(0, Long.getLong("weft.property.seeds", 20)).map(i -> 0x5eed_0000L + i);
  }

  private static List<String> addresses() {
    List<String> out = new ArrayList<>();
    for (int i = 1; i <= 12; i++) {
      out.add("10.0.0." + i);
    }
    for (int i = 1; i <= 4; i++) {
      out.add("fd00::" + i);
    }
    return List.copyOf(out);
  }

  @ParameterizedTest(name = "seed {0}")
  @MethodSource("seeds")
  void incrementalStateEqualsStateCompiledFromScratch(long seed) throws Exception {
    Random random = new Random(seed);
    List<String> history = new ArrayList<>();
    try (World world = new World()) {
      History h = new History(world, random);
      Compiler late = null;
      try {
        for (int step = 1; step <= STEPS; step++) {
          history.add(step + ": " + h.step());
          if (step == STEPS / 4) {
            // Joins while the cache's watch thread may still be telling the last commit.
            late = Compiler.follow(world.store().cache());
          }
          if (step % CHECK_EVERY == 0 || step == STEPS) {
            check(world, late, seed, step, history);
          }
        }
      } finally {
        if (late != null) {
          late.close();
        }
      }
    }
  }

  private static void check(World world, Compiler late, long seed, int step, List<String> history)
      throws Exception {
    long rev = world.store().kv().revision();
    world.settle(rev);
    List<AutoCloseable> toClose = new ArrayList<>();
    try {
      Compiler fresh = world.fresh(toClose);
      assertThat(fresh.awaitRevision(rev, WAIT)).isTrue();
      CompiledState expected = World.state(fresh);
      COVERAGE.record(expected);
      String why =
          "seed "
              + Long.toHexString(seed)
              + " after step "
              + step
              + " (store revision "
              + rev
              + "); history:\n  "
              + String.join("\n  ", history);
      CompiledState incremental = World.state(world.compiler());
      why = differences(incremental, expected) + why;
      assertThat(incremental.vrfs()).as("VRFs, " + why).isEqualTo(expected.vrfs());
      assertThat(incremental.endpoints()).as("endpoints, " + why).isEqualTo(expected.endpoints());
      assertThat(incremental.nodePorts()).as("node ports, " + why).isEqualTo(expected.nodePorts());
      assertThat(incremental.nodeAddresses())
          .as("node addresses, " + why)
          .isEqualTo(expected.nodeAddresses());
      if (late != null) {
        assertThat(late.awaitRevision(rev, WAIT)).isTrue();
        CompiledState joined = World.state(late);
        assertThat(joined.vrfs()).as("late compiler's VRFs, " + why).isEqualTo(expected.vrfs());
        assertThat(joined.endpoints())
            .as("late compiler's endpoints, " + why)
            .isEqualTo(expected.endpoints());
        assertThat(joined.nodePorts())
            .as("late compiler's node ports, " + why)
            .isEqualTo(expected.nodePorts());
        assertThat(joined.nodeAddresses())
            .as("late compiler's node addresses, " + why)
            .isEqualTo(expected.nodeAddresses());
      }
    } finally {
      for (int i = toClose.size() - 1; i >= 0; i--) {
        toClose.get(i).close();
      }
    }
  }

  /** What differs, one line per VRF or endpoint, so that a failure reads quickly. */
  private static String differences(CompiledState got, CompiledState expected) {
    StringBuilder sb = new StringBuilder();
    Set<Object> keys = new java.util.TreeSet<>(java.util.Comparator.comparing(Object::toString));
    keys.addAll(got.vrfs().keySet());
    keys.addAll(expected.vrfs().keySet());
    for (Object k : keys) {
      var g = got.vrfs().get(k);
      var e = expected.vrfs().get(k);
      if (g == null || e == null) {
        sb.append("VRF ").append(k).append(g == null ? " missing\n" : " extra\n");
      } else {
        if (!g.imports().equals(e.imports())) {
          sb.append("VRF ").append(k).append(" imports ").append(g.imports());
          sb.append(" expected ").append(e.imports()).append('\n');
        }
        if (!g.acl().equals(e.acl())) {
          sb.append("VRF ").append(k).append(" acl ").append(g.acl());
          sb.append("\n   expected ").append(e.acl()).append('\n');
        }
        if (!g.routes().equals(e.routes())) {
          sb.append("VRF ").append(k).append(" routes ").append(g.routes());
          sb.append("\n   expected ").append(e.routes()).append('\n');
        }
      }
    }
    Set<UUID> ids = new java.util.TreeSet<>(got.endpoints().keySet());
    ids.addAll(expected.endpoints().keySet());
    for (UUID id : ids) {
      Endpoint g = got.endpoints().get(id);
      Endpoint e = expected.endpoints().get(id);
      if (!java.util.Objects.equals(g, e)) {
        sb.append("endpoint ").append(g).append("\n   expected ").append(e).append('\n');
      }
    }
    return sb.toString();
  }

  /** Makes random changes, one store transaction per step, and says what it did. */
  private static final class History {
    private final World world;
    private final Random random;
    private final Map<String, Integer> generation = new HashMap<>();
    private ObjectTxn txn;
    private final Set<String> touched = new HashSet<>();
    private final List<String> said = new ArrayList<>();

    History(World world, Random random) {
      this.world = world;
      this.random = random;
    }

    String step() {
      txn = world.store().begin();
      touched.clear();
      said.clear();
      int changes = random.nextInt(4) == 0 ? 2 + random.nextInt(3) : 1;
      for (int i = 0; i < changes; i++) {
        change();
      }
      if (!txn.isEmpty()) {
        world.store().commit(txn);
      }
      return String.join("; ", said);
    }

    private void change() {
      switch (random.nextInt(22)) {
        case 18 -> putLoadbalancer(random.nextInt(2));
        case 19 -> putListenerAndPool(random.nextInt(2), random.nextInt(2));
        case 20 -> putMember(random.nextInt(2), random.nextInt(2), random.nextInt(PODS));
        case 21 -> deleteServicePart(random.nextInt(2), random.nextInt(2), random.nextInt(PODS));
        case 16 -> putFloatingIp(random.nextInt(4));
        case 17 -> delete(ObjectType.FLOATING_IP, floatingIpName(random.nextInt(4)));
        case 0, 1, 15 -> putNetwork(random.nextInt(NETWORKS));
        case 2 -> deleteOrReplaceNetwork(random.nextInt(NETWORKS));
        case 3, 4 -> putPolicy(random.nextInt(POLICIES));
        case 5 -> delete(ObjectType.NETWORK_POLICY, policyName(random.nextInt(POLICIES)));
        case 6 -> putRouter(random.nextInt(ROUTERS));
        case 7 -> delete(ObjectType.VIRTUAL_ROUTER, routerName(random.nextInt(ROUTERS)));
        case 8 -> putMachine(random.nextInt(PODS));
        case 9 -> deleteOrReplaceMachine(random.nextInt(PODS));
        case 10, 11 -> putInterface(random.nextInt(PODS));
        case 12 -> {
          if (random.nextBoolean()) {
            delete(ObjectType.VIRTUAL_MACHINE_INTERFACE, interfaceName(random.nextInt(PODS)));
          } else {
            delete(ObjectType.INSTANCE_IP, ipName(random.nextInt(IPS)));
          }
        }
        case 13 -> {
          if (random.nextBoolean()) {
            rename(
                ObjectType.VIRTUAL_NETWORK,
                networkName(random.nextInt(NETWORKS)),
                networkName(random.nextInt(NETWORKS + 1)));
          } else {
            rename(
                ObjectType.NETWORK_POLICY,
                policyName(random.nextInt(POLICIES)),
                policyName(random.nextInt(POLICIES)));
          }
        }
        default -> putInstanceIp(random.nextInt(IPS));
      }
    }

    // --- names, stable across generations

    private static FqName networkName(int i) {
      return World.networkName("n" + i);
    }

    private static FqName policyName(int i) {
      return FqName.of(World.DOMAIN, World.PROJECT, "p" + i);
    }

    private static FqName routerName(int i) {
      return FqName.of("default-global-system-config", "node-" + i);
    }

    private static FqName machineName(int i) {
      return FqName.of("k8s__ns__pod-" + i);
    }

    private static FqName interfaceName(int i) {
      return FqName.of(World.DOMAIN, "k8s-ns", "pod-" + i);
    }

    private static FqName ipName(int i) {
      return FqName.of("iip-" + i);
    }

    private UUID uuid(ObjectType type, FqName name) {
      return World.uuid(type.singular(), name + "#" + generation.getOrDefault(name.toString(), 0));
    }

    /** The UUID of the object now under {@code name}, or of the next one to be created there. */
    private UUID currentOrNext(ObjectType type, FqName name) {
      return current(type, name).map(s -> s.object().uuid()).orElse(uuid(type, name));
    }

    /** Moves an object to a free FQ name, keeping its UUID (references name the old one). */
    private void rename(ObjectType type, FqName from, FqName to) {
      Optional<Stored<ConfigObject>> old = current(type, from);
      if (old.isEmpty() || current(type, to).isPresent() || !claim(from) || !claim(to)) {
        return;
      }
      ConfigObject o = old.get().object();
      ConfigObject renamed =
          o instanceof VirtualNetwork n
              ? new VirtualNetwork(
                  n.uuid(),
                  to,
                  n.parent(),
                  n.annotations(),
                  n.networkIpamRefs(),
                  n.routeTargets(),
                  n.networkPolicyRefs())
              : new NetworkPolicy(
                  o.uuid(), to, o.parent(), o.annotations(), ((NetworkPolicy) o).rules());
      txn.update(old.get(), renamed);
      // Its UUID left the old name with it: the next object created there gets a new one.
      generation.merge(from.toString(), 1, Integer::sum);
      said.add("rename " + type.singular() + " " + from.name() + " to " + to.name());
    }

    private <T extends ConfigObject> Optional<Stored<T>> current(ObjectType type, FqName name) {
      return world.store().cache().get(type, name);
    }

    /** One change per object per transaction: what ObjectTxn guards allow. */
    private boolean claim(FqName name) {
      return touched.add(name.toString());
    }

    private void put(ConfigObject o) {
      if (!claim(o.fqName())) {
        return;
      }
      Optional<Stored<ConfigObject>> old = current(o.type(), o.fqName());
      if (old.isPresent() && old.get().object().uuid().equals(o.uuid())) {
        txn.update(old.get(), o);
        said.add("update " + o.type().singular() + " " + o.fqName().name() + describe(o));
      } else if (old.isEmpty()) {
        txn.create(o);
        said.add("create " + o.type().singular() + " " + o.fqName().name() + describe(o));
      }
    }

    private void delete(ObjectType type, FqName name) {
      Optional<Stored<ConfigObject>> old = current(type, name);
      if (old.isPresent() && claim(name)) {
        txn.delete(old.get());
        said.add("delete " + type.singular() + " " + name.name());
      }
    }

    /**
     * Deletes the object and creates it again under a new UUID (the next generation of its name),
     * in the same transaction.
     */
    private void replace(
        ObjectType type, FqName name, java.util.function.Supplier<ConfigObject> next) {
      Optional<Stored<ConfigObject>> old = current(type, name);
      if (old.isEmpty() || !claim(name)) {
        return;
      }
      generation.merge(name.toString(), 1, Integer::sum);
      ConfigObject fresh = next.get();
      txn.delete(old.get());
      txn.create(fresh);
      said.add(
          "replace " + fresh.type().singular() + " " + fresh.fqName().name() + describe(fresh));
    }

    private static String describe(ConfigObject o) {
      if (o instanceof VirtualNetwork n) {
        return " links "
            + n.networkPolicyRefs().stream()
                .map(l -> l.policy().to().name() + "@" + l.sequence())
                .toList();
      }
      if (o instanceof NetworkPolicy p) {
        return " rules "
            + p.rules().stream()
                .map(r -> new AclEntry(p.fqName(), 0, false, r).describe())
                .toList();
      }
      if (o instanceof VirtualRouter r) {
        return " address " + r.ipAddress();
      }
      if (o instanceof VirtualMachine m) {
        return " on " + (m.virtualRouter() == null ? "-" : m.virtualRouter().to().name());
      }
      if (o instanceof VirtualMachineInterface i) {
        return " vm "
            + (i.virtualMachine() == null ? "-" : i.virtualMachine().to().name())
            + " in "
            + i.virtualNetwork().to().name();
      }
      if (o instanceof InstanceIp ip) {
        return " "
            + ip.address()
            + (ip.serviceIp() ? " (service)" : "")
            + " on "
            + ip.interfaces().stream().map(r -> r.to().name()).toList();
      }
      return "";
    }

    // --- networks and policies

    private VirtualNetwork network(int i) {
      return network(i, currentOrNext(ObjectType.VIRTUAL_NETWORK, networkName(i)));
    }

    private VirtualNetwork network(int i, UUID id) {
      FqName name = networkName(i);
      List<PolicyLink> links = new ArrayList<>();
      int count = random.nextInt(4);
      for (int k = 0; k < count; k++) {
        FqName p = policyName(random.nextInt(POLICIES));
        // Links name the policy's current UUID, or one of a policy not (or no longer) there.
        UUID policy = currentOrNext(ObjectType.NETWORK_POLICY, p);
        links.add(
            new PolicyLink(new Ref(ObjectType.NETWORK_POLICY, policy, p), 1 + random.nextInt(3)));
      }
      return new VirtualNetwork(id, name, null, null, null, null, links);
    }

    private void putNetwork(int i) {
      put(network(i));
    }

    private void deleteOrReplaceNetwork(int i) {
      if (random.nextBoolean()) {
        delete(ObjectType.VIRTUAL_NETWORK, networkName(i));
      } else {
        replace(
            ObjectType.VIRTUAL_NETWORK,
            networkName(i),
            () -> network(i, uuid(ObjectType.VIRTUAL_NETWORK, networkName(i))));
      }
    }

    private void putPolicy(int i) {
      FqName name = policyName(i);
      List<PolicyRule> rules = new ArrayList<>();
      int count = random.nextInt(5);
      List<Integer> attached = new ArrayList<>();
      for (int n = 0; n < NETWORKS; n++) {
        Optional<Stored<VirtualNetwork>> vn = current(ObjectType.VIRTUAL_NETWORK, networkName(n));
        if (vn.isPresent()
            && vn.get().object().networkPolicyRefs().stream()
                .anyMatch(l -> l.policy().to().equals(name))) {
          attached.add(n);
        }
      }
      for (int k = 0; k < count; k++) {
        rules.add(rule(attached));
      }
      put(
          new NetworkPolicy(
              currentOrNext(ObjectType.NETWORK_POLICY, name), name, null, null, rules));
    }

    /** A random rule; often one joining two of the networks {@code attached} to the policy. */
    private PolicyRule rule(List<Integer> attached) {
      if (random.nextInt(5) < 2) {
        // A rule that joins two networks, so that routes leak often enough to matter.
        int from;
        int to;
        if (attached.size() >= 2 && random.nextInt(4) != 0) {
          from = attached.get(random.nextInt(attached.size()));
          to = attached.get(random.nextInt(attached.size()));
        } else {
          from = random.nextInt(NETWORKS);
          to = (from + 1 + random.nextInt(NETWORKS - 1)) % NETWORKS;
        }
        return new PolicyRule(
            Action.PASS,
            random.nextBoolean() ? ">" : "<>",
            random.nextBoolean() ? Protocol.ANY : Protocol.TCP,
            AddressMatch.network(networkName(from)),
            null,
            AddressMatch.network(networkName(to)),
            random.nextBoolean() ? null : ports());
      }
      Action action = random.nextInt(3) == 0 ? Action.DENY : Action.PASS;
      String direction = random.nextBoolean() ? ">" : "<>";
      Protocol protocol =
          List.of(Protocol.ANY, Protocol.ANY, Protocol.TCP, Protocol.UDP, Protocol.ICMP)
              .get(random.nextInt(5));
      return new PolicyRule(action, direction, protocol, end(), ports(), end(), ports());
    }

    private AddressMatch end() {
      int k = random.nextInt(10);
      if (k < 7) {
        return AddressMatch.network(networkName(random.nextInt(NETWORKS + 1)));
      }
      if (k < 8) {
        return AddressMatch.ANY;
      }
      return new AddressMatch(null, IpPrefix.parse(SUBNETS.get(random.nextInt(SUBNETS.size()))));
    }

    private List<PortRange> ports() {
      if (random.nextInt(3) != 0) {
        return null;
      }
      List<PortRange> out = new ArrayList<>();
      int count = 1 + random.nextInt(2);
      for (int k = 0; k < count; k++) {
        int start = random.nextInt(100);
        out.add(new PortRange(start, start + random.nextInt(50)));
      }
      return out;
    }

    // --- routers, machines, interfaces, addresses

    private void putRouter(int i) {
      FqName name = routerName(i);
      String address =
          random.nextInt(5) == 0 ? null : NODE_ADDRESSES.get(random.nextInt(NODE_ADDRESSES.size()));
      put(new VirtualRouter(uuid(ObjectType.VIRTUAL_ROUTER, name), name, null, null, address));
    }

    private VirtualMachine machine(int i) {
      FqName name = machineName(i);
      Ref router = null;
      if (random.nextInt(4) != 0) {
        FqName r = routerName(random.nextInt(ROUTERS));
        router = new Ref(ObjectType.VIRTUAL_ROUTER, uuid(ObjectType.VIRTUAL_ROUTER, r), r);
      }
      return new VirtualMachine(
          uuid(ObjectType.VIRTUAL_MACHINE, name),
          name,
          null,
          Owner.pod("k8s", "ns", "pod-" + i, "").annotations(),
          router);
    }

    private void putMachine(int i) {
      put(machine(i));
    }

    private void deleteOrReplaceMachine(int i) {
      if (random.nextBoolean()) {
        delete(ObjectType.VIRTUAL_MACHINE, machineName(i));
      } else {
        replace(ObjectType.VIRTUAL_MACHINE, machineName(i), () -> machine(i));
      }
    }

    private void putInterface(int i) {
      FqName name = interfaceName(i);
      // Usually its own pod's current machine; sometimes another's, a stale one, or none.
      int pod = random.nextInt(5) == 0 ? random.nextInt(PODS) : i;
      FqName vmName = machineName(pod);
      Ref vm =
          random.nextInt(8) == 0
              ? null
              : new Ref(
                  ObjectType.VIRTUAL_MACHINE, uuid(ObjectType.VIRTUAL_MACHINE, vmName), vmName);
      FqName network = networkName(random.nextInt(NETWORKS + 1));
      UUID networkId =
          current(ObjectType.VIRTUAL_NETWORK, network)
              .map(s -> s.object().uuid())
              .orElse(uuid(ObjectType.VIRTUAL_NETWORK, network));
      UUID id = uuid(ObjectType.VIRTUAL_MACHINE_INTERFACE, name);
      Map<String, String> annotations =
          random.nextInt(6) == 0 ? Map.of() : Owner.pod("k8s", "ns", "pod-" + i, "").annotations();
      put(
          new VirtualMachineInterface(
              id,
              name,
              null,
              annotations,
              vm,
              new Ref(ObjectType.VIRTUAL_NETWORK, networkId, network),
              World.mac(id),
              null,
              null));
    }

    // Services: two load balancers, two listeners each (one pool per listener), members on pods.

    private FqName lbName(int lb) {
      return networkName(lb).child("lb-" + lb);
    }

    private FqName listenerName(int lb, int l) {
      return lbName(lb).child("listener-" + l);
    }

    private FqName poolName(int lb, int l) {
      return listenerName(lb, l).child("pool");
    }

    private FqName memberName(int lb, int l, int pod) {
      return poolName(lb, l).child("member-" + pod);
    }

    private Ref ref(ObjectType type, FqName name) {
      UUID id = current(type, name).map(st -> st.object().uuid()).orElse(uuid(type, name));
      return new Ref(type, id, name);
    }

    private void putLoadbalancer(int lb) {
      List<String> vips = List.of("10.96.0.1", "10.96.0.2", "10.0.0.12");
      FqName network = networkName(random.nextInt(NETWORKS));
      put(
          new dev.weft.model.Loadbalancer(
              uuid(ObjectType.LOADBALANCER, lbName(lb)),
              lbName(lb),
              null,
              null,
              "native",
              vips.get(random.nextInt(vips.size())),
              ref(ObjectType.VIRTUAL_NETWORK, network),
              List.of()));
    }

    private void putListenerAndPool(int lb, int l) {
      dev.weft.model.Protocol protocol =
          List.of(dev.weft.model.Protocol.TCP, dev.weft.model.Protocol.UDP).get(random.nextInt(2));
      int port = 80 + random.nextInt(3);
      put(
          new dev.weft.model.LoadbalancerListener(
              uuid(ObjectType.LOADBALANCER_LISTENER, listenerName(lb, l)),
              listenerName(lb, l),
              null,
              null,
              ref(ObjectType.LOADBALANCER, lbName(lb)),
              protocol,
              port,
              // Few node ports, so that two load balancers often claim one.
              random.nextInt(3) == 0 ? null : 30000 + random.nextInt(2)));
      if (random.nextBoolean()) {
        put(
            new dev.weft.model.LoadbalancerPool(
                uuid(ObjectType.LOADBALANCER_POOL, poolName(lb, l)),
                poolName(lb, l),
                null,
                null,
                ref(ObjectType.LOADBALANCER_LISTENER, listenerName(lb, l)),
                protocol,
                "ecmp"));
      }
    }

    private void putMember(int lb, int l, int pod) {
      FqName vmi = interfaceName(pod);
      put(
          new dev.weft.model.LoadbalancerMember(
              uuid(ObjectType.LOADBALANCER_MEMBER, memberName(lb, l, pod)),
              memberName(lb, l, pod),
              ref(ObjectType.LOADBALANCER_POOL, poolName(lb, l)),
              null,
              ADDRESSES.get(random.nextInt(ADDRESSES.size())),
              8080 + random.nextInt(2),
              random.nextInt(6) == 0 ? null : ref(ObjectType.VIRTUAL_MACHINE_INTERFACE, vmi)));
    }

    private void deleteServicePart(int lb, int l, int pod) {
      switch (random.nextInt(4)) {
        case 0 -> delete(ObjectType.LOADBALANCER, lbName(lb));
        case 1 -> delete(ObjectType.LOADBALANCER_LISTENER, listenerName(lb, l));
        case 2 -> delete(ObjectType.LOADBALANCER_POOL, poolName(lb, l));
        default -> delete(ObjectType.LOADBALANCER_MEMBER, memberName(lb, l, pod));
      }
    }

    private FqName floatingIpName(int i) {
      // Two floating IPs per pool network, so that one name can move between networks too.
      return networkName(i % 2).child("pool").child("fip-" + i);
    }

    /**
     * A floating IP on zero, one or two interfaces, sometimes naming the fixed address; or fronting
     * a load balancer (that may not exist), sometimes on interfaces as well.
     */
    private void putFloatingIp(int i) {
      FqName name = floatingIpName(i);
      FqName pool = name.parentName();
      List<String> addresses = FLOATING_ADDRESSES;
      Ref loadbalancer =
          random.nextInt(3) == 0 ? ref(ObjectType.LOADBALANCER, lbName(random.nextInt(2))) : null;
      List<Ref> interfaces = new ArrayList<>();
      int count =
          loadbalancer != null
              ? random.nextInt(5) == 0 ? 1 : 0
              : random.nextInt(4) == 0 ? 2 : random.nextInt(6) == 0 ? 0 : 1;
      for (int k = 0; k < count; k++) {
        FqName vmi = interfaceName(random.nextInt(PODS));
        interfaces.add(
            new Ref(
                ObjectType.VIRTUAL_MACHINE_INTERFACE,
                uuid(ObjectType.VIRTUAL_MACHINE_INTERFACE, vmi),
                vmi));
      }
      put(
          new dev.weft.model.FloatingIp(
              uuid(ObjectType.FLOATING_IP, name),
              name,
              new Ref(ObjectType.FLOATING_IP_POOL, uuid(ObjectType.FLOATING_IP_POOL, pool), pool),
              null,
              addresses.get(random.nextInt(addresses.size())),
              interfaces,
              random.nextInt(3) == 0 ? ADDRESSES.get(random.nextInt(ADDRESSES.size())) : null,
              loadbalancer));
    }

    private void putInstanceIp(int i) {
      FqName name = ipName(i);
      String address = ADDRESSES.get(random.nextInt(ADDRESSES.size()));
      boolean v6 = address.indexOf(':') >= 0;
      List<Ref> interfaces = new ArrayList<>();
      int count = random.nextInt(8) == 0 ? 2 : random.nextInt(10) == 0 ? 0 : 1;
      for (int k = 0; k < count; k++) {
        FqName vmi = interfaceName(random.nextInt(PODS));
        interfaces.add(
            new Ref(
                ObjectType.VIRTUAL_MACHINE_INTERFACE,
                uuid(ObjectType.VIRTUAL_MACHINE_INTERFACE, vmi),
                vmi));
      }
      FqName network = networkName(random.nextInt(NETWORKS));
      put(
          new InstanceIp(
              uuid(ObjectType.INSTANCE_IP, name),
              name,
              null,
              null,
              address,
              null,
              IpPrefix.parse(v6 ? "fd00::/8" : "10.0.0.0/8"),
              null,
              "pool",
              new Ref(
                  ObjectType.VIRTUAL_NETWORK, uuid(ObjectType.VIRTUAL_NETWORK, network), network),
              interfaces,
              random.nextInt(10) == 0));
    }
  }
}
