package dev.weft.control;

import dev.weft.control.policy.PolicyDelta;
import dev.weft.control.policy.PolicyEngine;
import dev.weft.control.policy.PolicyInputs;
import dev.weft.control.policy.PolicyListener;
import dev.weft.control.policy.PolicyView;
import dev.weft.model.Action;
import dev.weft.model.AddressMatch;
import dev.weft.model.ConfigObject;
import dev.weft.model.FloatingIp;
import dev.weft.model.FqName;
import dev.weft.model.InstanceIp;
import dev.weft.model.IpPrefix;
import dev.weft.model.Loadbalancer;
import dev.weft.model.LoadbalancerListener;
import dev.weft.model.LoadbalancerMember;
import dev.weft.model.LoadbalancerPool;
import dev.weft.model.NetworkPolicy;
import dev.weft.model.ObjectType;
import dev.weft.model.Owner;
import dev.weft.model.PolicyLink;
import dev.weft.model.PolicyRule;
import dev.weft.model.Protocol;
import dev.weft.model.Ref;
import dev.weft.model.VirtualMachine;
import dev.weft.model.VirtualMachineInterface;
import dev.weft.model.VirtualNetwork;
import dev.weft.model.VirtualRouter;
import dev.weft.store.objects.ObjectCache;
import java.lang.ref.WeakReference;
import java.net.InetAddress;
import java.net.UnknownHostException;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Collection;
import java.util.Collections;
import java.util.Comparator;
import java.util.HashMap;
import java.util.HashSet;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.Set;
import java.util.SortedMap;
import java.util.TreeMap;
import java.util.TreeSet;
import java.util.UUID;
import java.util.WeakHashMap;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.locks.Condition;
import java.util.concurrent.locks.ReentrantLock;
import java.util.concurrent.locks.ReentrantReadWriteLock;
import java.util.function.Function;

/**
 * Keeps the compiled forwarding state ({@link CompiledView}) in step with the object cache,
 * incrementally: each changed object recompiles only what depends on it. A pod's interface or
 * address touches that interface's host routes; a network's policy links or a policy's rules touch
 * the ACLs of the networks it is attached to and the route leaking between them. Nothing rescans
 * the store.
 *
 * <p>Changes arrive on the cache's watch thread in whole batches ({@link ObjectCache.Listener}) and
 * are applied under a write lock; {@link #read} runs a reader against a consistent state under the
 * read lock, and {@link #awaitRevision} is the barrier for "compiled up to this store revision".
 *
 * <p>Kubernetes NetworkPolicy (firewall policies, pods' labels and declared ports, namespaces'
 * labels on their projects) is compiled alongside by a {@link PolicyEngine}, read through {@link
 * CompiledView#policies()}; what a batch changed there goes to {@link PolicyListener}s.
 */
public final class Compiler implements ObjectCache.Listener, AutoCloseable {
  /** Told, on the compiling thread, which parts changed (for dataplanes that program deltas). */
  public interface ChangeListener {
    void onVrfChanged(FqName network);

    void onEndpointChanged(UUID interfaceUuid);

    /** The service behind node port {@code nodePort} changed, appeared or went away. */
    default void onNodePortChanged(NextHop.ServicePort nodePort) {}
  }

  private static final Comparator<Route> BY_PREFIX = Comparator.comparing(r -> r.prefix().cidr());

  private final ReentrantReadWriteLock rw = new ReentrantReadWriteLock();
  private final ReentrantLock revisionLock = new ReentrantLock();
  private final Condition advanced = revisionLock.newCondition();
  private final List<ChangeListener> listeners = new CopyOnWriteArrayList<>();
  private final List<PolicyListener> policyListeners = new CopyOnWriteArrayList<>();
  private final PolicyEngine policyEngine = new PolicyEngine();
  private final PolicyInputs policyInputs = new PolicyInputs(policyEngine);
  private final ObjectCache cache;
  private volatile long revision;
  private volatile boolean closed;

  // Source objects, and the reverse indexes the incremental updates need.
  private final Map<UUID, VirtualNetwork> networks = new HashMap<>();
  private final Map<UUID, NetworkPolicy> policies = new HashMap<>();
  private final Map<UUID, Set<FqName>> attachedTo = new HashMap<>(); // policy -> networks
  private final Map<UUID, VirtualMachineInterface> interfaces = new HashMap<>();
  private final Map<UUID, VirtualMachine> machines = new HashMap<>();
  private final Map<UUID, Set<UUID>> interfacesOfMachine = new HashMap<>();
  private final Map<UUID, InstanceIp> instanceIps = new HashMap<>();
  private final Map<UUID, Set<UUID>> ipsOfInterface = new HashMap<>();
  private final Map<UUID, VirtualRouter> routers = new HashMap<>();
  private final Map<UUID, FloatingIp> floatingIps = new HashMap<>();
  private final Map<UUID, Set<UUID>> floatingIpsOfInterface = new HashMap<>();
  private final Map<UUID, Set<UUID>> floatingIpsOfLoadbalancer = new HashMap<>();

  /** What each floating IP claims: its network, its address, and the interfaces it maps to. */
  private final Map<UUID, FipClaim> fipClaims = new HashMap<>();

  private record FipClaim(FqName network, String address, List<UUID> interfaces) {}

  private final Map<UUID, Loadbalancer> loadbalancers = new HashMap<>();
  private final Map<UUID, LoadbalancerListener> lbListeners = new HashMap<>();
  private final Map<UUID, Set<UUID>> listenersOfLoadbalancer = new HashMap<>();
  private final Map<UUID, LoadbalancerPool> pools = new HashMap<>();
  private final Map<UUID, Set<UUID>> poolsOfListener = new HashMap<>();
  private final Map<UUID, LoadbalancerMember> members = new HashMap<>();
  private final Map<UUID, Set<UUID>> membersOfPool = new HashMap<>();
  private final Map<UUID, Set<UUID>> membersOfInterface = new HashMap<>();

  /** The service next hop of each load balancer that exists, VIP or not. */
  private final Map<UUID, NextHop.Service> services = new HashMap<>();

  /** The VIP route each load balancer has. */
  private final Map<UUID, ServiceRoute> vipRoutes = new HashMap<>();

  /** The route each floating IP fronting a load balancer has, while that load balancer exists. */
  private final Map<UUID, ServiceRoute> fipServiceRoutes = new HashMap<>();

  /**
   * Service next hops by network and VIP, consulted by {@link #reroute}; by load balancer UUID, as
   * two load balancers could name one VIP (IPAM prevents it for services): the route is then the
   * first one's, whatever the order they came in.
   */
  private final Map<FqName, Map<String, TreeMap<String, NextHop.Service>>> serviceHops =
      new HashMap<>();

  /**
   * A host route to a service: its network, its address, and its key among the service routes of
   * that address ({@code LB} for a VIP, {@code LB/FIP} for a floating IP fronting the load
   * balancer), so that the first load balancer by UUID wins whatever the order of arrival.
   */
  private record ServiceRoute(FqName network, String address, String key) {}

  /*
   * Node ports: per (protocol, port), the load balancers' listeners claiming it, keyed "LB/listener
   * port", and the winner (the first key: the lowest load balancer UUID in its text form). Kubernetes
   * never hands one node port to two services, but a restore or a hand-made object could: the
   * winner must not depend on which came first, or two compilers of one store would disagree.
   */
  private final Map<NextHop.ServicePort, TreeMap<String, NodePort>> nodePortClaims =
      new HashMap<>();
  private final TreeMap<NextHop.ServicePort, NodePort> nodePorts = new TreeMap<>();

  /*
   * Nodes: the address of each node (vRouter) name, for node ports. Kept per router UUID under the
   * name, so that a router renamed or replaced within one batch, in either order, leaves the right
   * address; the first router by UUID gives the address if two share a name.
   */
  private final Map<String, TreeMap<UUID, String>> routerAddressesByNode = new HashMap<>();
  private final TreeMap<String, String> nodeAddresses = new TreeMap<>();
  private final Map<String, TreeSet<String>> nodesAtAddress = new HashMap<>();

  private final Map<UUID, Set<UUID>> machinesOnRouter = new HashMap<>();

  // Compiled state.
  private final Map<FqName, VrfState> vrfs = new HashMap<>();
  private final Map<FqName, Map<String, Route>> hostRoutes = new HashMap<>(); // network -> routes
  // network -> address -> the interfaces with that address, from which its host route is made
  private final Map<FqName, Map<String, TreeMap<String, NextHop.Interface>>> claims =
      new HashMap<>();
  private final Map<UUID, Endpoint> endpoints = new HashMap<>();

  // What the batch being applied touched. Each batch gets new sets rather than clearing the last
  // one's: a hash table never shrinks, and clearing the one the first batch (every endpoint) grew
  // would cost every later batch a pass over its 100,000 slots.
  private Set<FqName> dirtyVrfs = new LinkedHashSet<>();
  private Set<UUID> dirtyEndpoints = new LinkedHashSet<>();
  private Set<NextHop.ServicePort> dirtyNodePorts = new LinkedHashSet<>();

  /*
   * Load balancers to recompile once the batch is applied. A service arrives as one batch of its
   * load balancer, listeners, pools and members, each of which would otherwise recompile the whole
   * load balancer on its own: n members, n recompiles over up to n members each, so a service of
   * 1,000 endpoints cost half a million backend hops instead of a thousand.
   */
  private Set<UUID> dirtyLoadbalancers = new LinkedHashSet<>();

  private final View view = new View();

  /*
   * One instance per network name in the compiled state (VRFs, endpoints, routes, ACL entries,
   * imports), with its parts interned: the forwarding model compares these names for every packet,
   * and FqName.equals, a record's, is an identity check when both are the same instance. Weak, so a
   * name no compiled state holds any more is let go.
   */
  private final Map<FqName, WeakReference<FqName>> names = new WeakHashMap<>();

  private Compiler(ObjectCache cache) {
    this.cache = cache;
  }

  /** Compiles what {@code cache} holds and follows its changes. */
  public static Compiler follow(ObjectCache cache) {
    Compiler c = new Compiler(cache);
    cache.addListener(c);
    c.rw.writeLock().lock();
    long loaded;
    try {
      // Everything up to this revision is in the cache's maps (it applies, then advances).
      loaded = cache.revision();
      c.prime();
      RuntimeException failed = c.recompileLoadbalancers();
      if (failed != null) {
        throw failed;
      }
      c.newBatch();
      c.policyEngine.discardDelta(); // no listener yet: a new one reads the state itself
    } finally {
      c.rw.writeLock().unlock();
    }
    c.advance(loaded);
    return c;
  }

  public void addChangeListener(ChangeListener l) {
    listeners.add(l);
  }

  /** {@code l} is told, after each batch, what it changed in the NetworkPolicy state. */
  public void addPolicyListener(PolicyListener l) {
    policyListeners.add(l);
  }

  /** Runs {@code reader} against the state as of one revision; compiling waits meanwhile. */
  public <T> T read(Function<CompiledView, T> reader) {
    rw.readLock().lock();
    try {
      return reader.apply(view);
    } finally {
      rw.readLock().unlock();
    }
  }

  public long revision() {
    return revision;
  }

  /**
   * Waits until every change up to store revision {@code target} is compiled.
   *
   * @return false if {@code timeout} passed first, or the compiler was closed
   */
  public boolean awaitRevision(long target, Duration timeout) throws InterruptedException {
    long nanos = timeout.toNanos();
    revisionLock.lockInterruptibly();
    try {
      while (revision < target) {
        if (closed || nanos <= 0) {
          return false;
        }
        nanos = advanced.awaitNanos(nanos);
      }
      return true;
    } finally {
      revisionLock.unlock();
    }
  }

  @Override
  public void close() {
    closed = true;
    revisionLock.lock();
    try {
      advanced.signalAll();
    } finally {
      revisionLock.unlock();
    }
  }

  // ---------------------------------------------------------------------------------------------
  // Following the cache

  /**
   * Takes in the objects the cache held before this compiler listened. Changes told meanwhile are
   * harmless twice: each step recompiles from the objects as they now are.
   */
  private void prime() {
    for (ObjectType t :
        List.of(
            // Namespaces before their pods and policies: each pod is then judged once, with the
            // labels its namespace has, rather than again when they arrive.
            ObjectType.PROJECT,
            ObjectType.FIREWALL_POLICY,
            ObjectType.VIRTUAL_ROUTER,
            ObjectType.NETWORK_POLICY,
            ObjectType.VIRTUAL_NETWORK,
            ObjectType.VIRTUAL_MACHINE,
            ObjectType.VIRTUAL_MACHINE_INTERFACE,
            ObjectType.INSTANCE_IP,
            ObjectType.FLOATING_IP,
            ObjectType.LOADBALANCER,
            ObjectType.LOADBALANCER_LISTENER,
            ObjectType.LOADBALANCER_POOL,
            ObjectType.LOADBALANCER_MEMBER)) {
      for (var s : cache.list(t)) {
        ConfigObject o = s.object();
        if (known(o) == null) {
          change(null, o);
        }
      }
    }
  }

  private ConfigObject known(ConfigObject o) {
    return switch (o.type()) {
      case VIRTUAL_NETWORK -> networks.get(o.uuid());
      case NETWORK_POLICY -> policies.get(o.uuid());
      case VIRTUAL_MACHINE_INTERFACE -> interfaces.get(o.uuid());
      case VIRTUAL_MACHINE -> machines.get(o.uuid());
      case INSTANCE_IP -> instanceIps.get(o.uuid());
      case VIRTUAL_ROUTER -> routers.get(o.uuid());
      case FLOATING_IP -> floatingIps.get(o.uuid());
      case LOADBALANCER -> loadbalancers.get(o.uuid());
      case LOADBALANCER_LISTENER -> lbListeners.get(o.uuid());
      case LOADBALANCER_POOL -> pools.get(o.uuid());
      case LOADBALANCER_MEMBER -> members.get(o.uuid());
      case PROJECT, FIREWALL_POLICY -> policyInputs.known(o);
      default -> null;
    };
  }

  @Override
  public void onChange(ConfigObject before, ConfigObject after) {
    rw.writeLock().lock();
    try {
      change(before, after);
    } finally {
      rw.writeLock().unlock();
    }
  }

  @Override
  public void onApplied(long storeRevision) {
    List<FqName> vrfsChanged;
    List<UUID> endpointsChanged;
    List<NextHop.ServicePort> nodePortsChanged;
    PolicyDelta policyDelta;
    RuntimeException failed;
    rw.writeLock().lock();
    try {
      failed = recompileLoadbalancers();
      policyDelta = policyEngine.drain();
      vrfsChanged = List.copyOf(dirtyVrfs);
      endpointsChanged = List.copyOf(dirtyEndpoints);
      nodePortsChanged = List.copyOf(dirtyNodePorts);
      newBatch();
    } finally {
      rw.writeLock().unlock();
    }
    for (ChangeListener l : listeners) {
      vrfsChanged.forEach(l::onVrfChanged);
      endpointsChanged.forEach(l::onEndpointChanged);
      nodePortsChanged.forEach(l::onNodePortChanged);
    }
    if (!policyDelta.isEmpty()) {
      for (PolicyListener l : policyListeners) {
        l.onPolicyDelta(policyDelta);
      }
    }
    advance(storeRevision);
    if (failed != null) {
      throw failed; // for the cache to log, as it logs a change that failed; the rest went on
    }
  }

  private void newBatch() {
    dirtyVrfs = new LinkedHashSet<>();
    dirtyEndpoints = new LinkedHashSet<>();
    dirtyNodePorts = new LinkedHashSet<>();
  }

  private void advance(long storeRevision) {
    revisionLock.lock();
    try {
      if (storeRevision > revision) {
        revision = storeRevision;
      }
      advanced.signalAll();
    } finally {
      revisionLock.unlock();
    }
  }

  private void change(ConfigObject before, ConfigObject after) {
    ConfigObject any = after != null ? after : before;
    switch (any.type()) {
      case VIRTUAL_NETWORK -> network((VirtualNetwork) before, (VirtualNetwork) after);
      case NETWORK_POLICY -> policy((NetworkPolicy) before, (NetworkPolicy) after);
      case VIRTUAL_MACHINE_INTERFACE -> {
        vmi((VirtualMachineInterface) before, (VirtualMachineInterface) after);
        policyInputs.change(before, after);
      }
      case PROJECT, FIREWALL_POLICY -> policyInputs.change(before, after);
      case VIRTUAL_MACHINE -> machine((VirtualMachine) before, (VirtualMachine) after);
      case INSTANCE_IP -> instanceIp((InstanceIp) before, (InstanceIp) after);
      case VIRTUAL_ROUTER -> router((VirtualRouter) before, (VirtualRouter) after);
      case FLOATING_IP -> floatingIp((FloatingIp) before, (FloatingIp) after);
      case LOADBALANCER -> loadbalancer((Loadbalancer) before, (Loadbalancer) after);
      case LOADBALANCER_LISTENER ->
          listener((LoadbalancerListener) before, (LoadbalancerListener) after);
      case LOADBALANCER_POOL -> pool((LoadbalancerPool) before, (LoadbalancerPool) after);
      case LOADBALANCER_MEMBER -> member((LoadbalancerMember) before, (LoadbalancerMember) after);
      default -> {}
    }
  }

  // ---------------------------------------------------------------------------------------------
  // Networks and policies: ACLs and route leaking

  private void network(VirtualNetwork before, VirtualNetwork after) {
    Set<UUID> touchedPolicies = new HashSet<>();
    if (before != null) {
      networks.remove(before.uuid());
      for (PolicyLink l : before.networkPolicyRefs()) {
        touchedPolicies.add(l.policy().uuid());
        removeFrom(attachedTo, l.policy().uuid(), before.fqName());
      }
      if (after == null || !after.fqName().equals(before.fqName())) {
        vrfs.remove(before.fqName());
        dirtyVrfs.add(before.fqName());
      }
    }
    if (after != null) {
      networks.put(after.uuid(), after);
      for (PolicyLink l : after.networkPolicyRefs()) {
        touchedPolicies.add(l.policy().uuid());
        attachedTo.computeIfAbsent(l.policy().uuid(), k -> new HashSet<>()).add(after.fqName());
      }
      vrfs.computeIfAbsent(canonical(after.fqName()), VrfState::new);
      recompileAcl(after.fqName());
    }
    Set<FqName> reconnect = new HashSet<>();
    if (before != null) {
      reconnect.add(before.fqName());
    }
    if (after != null) {
      reconnect.add(after.fqName());
    }
    for (UUID p : touchedPolicies) {
      reconnect.addAll(attachedTo.getOrDefault(p, Set.of()));
    }
    reconnect.forEach(this::reconnect);
  }

  private void policy(NetworkPolicy before, NetworkPolicy after) {
    UUID uuid = after != null ? after.uuid() : before.uuid();
    if (after == null) {
      policies.remove(uuid);
    } else {
      policies.put(uuid, after);
    }
    Set<FqName> attached = Set.copyOf(attachedTo.getOrDefault(uuid, Set.of()));
    for (FqName n : attached) {
      recompileAcl(n);
    }
    for (FqName n : attached) {
      reconnect(n);
    }
  }

  private VirtualNetwork networkNamed(FqName fq) {
    UUID uuid = cache.get(ObjectType.VIRTUAL_NETWORK, fq).map(s -> s.object().uuid()).orElse(null);
    VirtualNetwork n = uuid == null ? null : networks.get(uuid);
    if (n != null && n.fqName().equals(fq)) {
      return n;
    }
    for (VirtualNetwork candidate : networks.values()) { // the cache may be ahead of this compiler
      if (candidate.fqName().equals(fq)) {
        return candidate;
      }
    }
    return null;
  }

  private List<PolicyLink> sortedLinks(VirtualNetwork n) {
    List<PolicyLink> links = new ArrayList<>(n.networkPolicyRefs());
    links.sort(
        Comparator.comparingInt(PolicyLink::sequence)
            .thenComparing(l -> String.valueOf(l.policy().to())));
    return links;
  }

  private void recompileAcl(FqName network) {
    VrfState vrf = vrfs.get(network);
    VirtualNetwork n = networkNamed(network);
    if (vrf == null || n == null) {
      return;
    }
    List<FqName> present = new ArrayList<>();
    List<FqName> missing = new ArrayList<>();
    List<AclEntry> entries = new ArrayList<>();
    for (PolicyLink link : sortedLinks(n)) {
      NetworkPolicy p = policies.get(link.policy().uuid());
      if (p == null) {
        missing.add(link.policy().to());
        continue;
      }
      present.add(p.fqName());
      List<PolicyRule> rules = p.rules();
      for (int i = 0; i < rules.size(); i++) {
        PolicyRule r = canonical(rules.get(i));
        entries.add(new AclEntry(p.fqName(), i + 1, false, r));
        if (r.direction().equals("<>")) {
          entries.add(new AclEntry(p.fqName(), i + 1, true, r));
        }
      }
    }
    Acl acl = new Acl(vrf.network, present, missing, entries);
    if (!acl.equals(vrf.acl)) {
      vrf.acl = acl;
      dirtyVrfs.add(network);
    }
  }

  /**
   * Recomputes which networks leak routes into {@code network}: those sharing an attached policy
   * that has a pass rule naming both networks (Contrail's rule for connecting routing instances).
   * Routes leak both ways, whatever the rule's direction: the ACL decides which side may open a
   * flow, and replies need the route back.
   */
  private void reconnect(FqName network) {
    VrfState vrf = vrfs.get(network);
    if (vrf == null) {
      return;
    }
    VirtualNetwork n = networkNamed(network);
    Map<FqName, List<FqName>> imports = new TreeMap<>();
    if (n != null) {
      for (PolicyLink link : sortedLinks(n)) {
        NetworkPolicy p = policies.get(link.policy().uuid());
        if (p == null) {
          continue;
        }
        Set<FqName> attached = attachedTo.getOrDefault(p.uuid(), Set.of());
        for (PolicyRule r : p.rules()) {
          FqName other = canonical(otherEnd(r, network));
          if (other != null && attached.contains(other) && vrfs.containsKey(other)) {
            List<FqName> via = imports.computeIfAbsent(other, k -> new ArrayList<>());
            if (!via.contains(p.fqName())) {
              via.add(p.fqName());
            }
          }
        }
      }
    }
    if (!imports.equals(vrf.imports)) {
      vrf.imports = imports;
      dirtyVrfs.add(network);
    }
  }

  private static FqName otherEnd(PolicyRule r, FqName network) {
    if (r.action() != Action.PASS) {
      return null;
    }
    AddressMatch s = r.source();
    AddressMatch d = r.destination();
    if (s.virtualNetwork() == null || d.virtualNetwork() == null) {
      return null;
    }
    if (s.virtualNetwork().equals(network) && !d.virtualNetwork().equals(network)) {
      return d.virtualNetwork();
    }
    if (d.virtualNetwork().equals(network) && !s.virtualNetwork().equals(network)) {
      return s.virtualNetwork();
    }
    return null;
  }

  // ---------------------------------------------------------------------------------------------
  // Interfaces: endpoints and host routes

  private void vmi(VirtualMachineInterface before, VirtualMachineInterface after) {
    if (before != null) {
      interfaces.remove(before.uuid());
      if (before.virtualMachine() != null) {
        removeFrom(interfacesOfMachine, before.virtualMachine().uuid(), before.uuid());
      }
    }
    if (after != null) {
      interfaces.put(after.uuid(), after);
      if (after.virtualMachine() != null) {
        interfacesOfMachine
            .computeIfAbsent(after.virtualMachine().uuid(), k -> new HashSet<>())
            .add(after.uuid());
      }
    }
    recompileEndpoint(after != null ? after.uuid() : before.uuid());
  }

  private void instanceIp(InstanceIp before, InstanceIp after) {
    Set<UUID> touched = new HashSet<>();
    if (before != null) {
      instanceIps.remove(before.uuid());
      for (Ref r : before.interfaces()) {
        removeFrom(ipsOfInterface, r.uuid(), before.uuid());
        touched.add(r.uuid());
      }
    }
    if (after != null) {
      instanceIps.put(after.uuid(), after);
      for (Ref r : after.interfaces()) {
        ipsOfInterface.computeIfAbsent(r.uuid(), k -> new HashSet<>()).add(after.uuid());
        touched.add(r.uuid());
      }
    }
    touched.forEach(this::recompileEndpoint);
  }

  private void machine(VirtualMachine before, VirtualMachine after) {
    UUID uuid = after != null ? after.uuid() : before.uuid();
    if (before != null && before.virtualRouter() != null) {
      removeFrom(machinesOnRouter, before.virtualRouter().uuid(), uuid);
    }
    if (after == null) {
      machines.remove(uuid);
    } else {
      machines.put(uuid, after);
      if (after.virtualRouter() != null) {
        machinesOnRouter
            .computeIfAbsent(after.virtualRouter().uuid(), k -> new HashSet<>())
            .add(uuid);
      }
    }
    Set.copyOf(interfacesOfMachine.getOrDefault(uuid, Set.of())).forEach(this::recompileEndpoint);
  }

  private void router(VirtualRouter before, VirtualRouter after) {
    UUID uuid = after != null ? after.uuid() : before.uuid();
    if (before != null && before.ipAddress() != null) {
      String node = before.fqName().name();
      TreeMap<UUID, String> byRouter = routerAddressesByNode.get(node);
      if (byRouter != null) {
        byRouter.remove(uuid);
        if (byRouter.isEmpty()) {
          routerAddressesByNode.remove(node);
        }
      }
      refreshNode(node);
    }
    if (after == null) {
      routers.remove(uuid);
    } else {
      routers.put(uuid, after);
      if (after.ipAddress() != null) {
        String node = after.fqName().name();
        routerAddressesByNode
            .computeIfAbsent(node, k -> new TreeMap<>())
            .put(uuid, after.ipAddress());
        refreshNode(node);
      }
    }
    for (UUID vm : Set.copyOf(machinesOnRouter.getOrDefault(uuid, Set.of()))) {
      Set.copyOf(interfacesOfMachine.getOrDefault(vm, Set.of())).forEach(this::recompileEndpoint);
    }
  }

  /** The address node {@code node} has now, from the routers of that name. */
  private void refreshNode(String node) {
    TreeMap<UUID, String> byRouter = routerAddressesByNode.get(node);
    String now = byRouter == null ? null : byRouter.firstEntry().getValue();
    String was = now == null ? nodeAddresses.remove(node) : nodeAddresses.put(node, now);
    if (Objects.equals(was, now)) {
      return;
    }
    if (was != null) {
      TreeSet<String> named = nodesAtAddress.get(was);
      if (named != null) {
        named.remove(node);
        if (named.isEmpty()) {
          nodesAtAddress.remove(was);
        }
      }
    }
    if (now != null) {
      nodesAtAddress.computeIfAbsent(now, k -> new TreeSet<>()).add(node);
    }
  }

  private void recompileEndpoint(UUID interfaceUuid) {
    Endpoint old = endpoints.get(interfaceUuid);
    Endpoint now = endpointOf(interfaceUuid);
    if (Objects.equals(old, now)) {
      return;
    }
    if (old != null) {
      endpoints.remove(interfaceUuid);
      for (String a : old.addresses()) {
        unclaim(old.network(), a, interfaceUuid, interfaceUuid);
      }
      dirtyVrfs.add(old.network());
    }
    if (now != null) {
      endpoints.put(interfaceUuid, now);
      NextHop.Interface hop = new NextHop.Interface(interfaceUuid, now.node(), now.nodeAddress());
      for (String a : now.addresses()) {
        claim(now.network(), a, hop, interfaceUuid);
      }
      dirtyVrfs.add(now.network());
    }
    dirtyEndpoints.add(interfaceUuid);
    // Floating IPs mapped to this interface follow its node and addresses; so do services.
    Set.copyOf(floatingIpsOfInterface.getOrDefault(interfaceUuid, Set.of()))
        .forEach(this::recompileFloatingIp);
    for (UUID m : membersOfInterface.getOrDefault(interfaceUuid, Set.of())) {
      UUID lb = loadbalancerOfMember(members.get(m));
      if (lb != null) {
        dirtyLoadbalancers.add(lb);
      }
    }
  }

  // ---------------------------------------------------------------------------------------------
  // Services: a VIP route whose next hop is, per listener, the ECMP group of ready backends

  private void loadbalancer(Loadbalancer before, Loadbalancer after) {
    UUID uuid = after != null ? after.uuid() : before.uuid();
    if (after == null) {
      loadbalancers.remove(uuid);
    } else {
      loadbalancers.put(uuid, after);
    }
    dirtyLoadbalancers.add(uuid);
  }

  private void listener(LoadbalancerListener before, LoadbalancerListener after) {
    if (before != null) {
      lbListeners.remove(before.uuid());
      if (before.loadbalancer() != null) {
        removeFrom(listenersOfLoadbalancer, before.loadbalancer().uuid(), before.uuid());
        dirtyLoadbalancers.add(before.loadbalancer().uuid());
      }
    }
    if (after != null) {
      lbListeners.put(after.uuid(), after);
      if (after.loadbalancer() != null) {
        listenersOfLoadbalancer
            .computeIfAbsent(after.loadbalancer().uuid(), k -> new HashSet<>())
            .add(after.uuid());
        dirtyLoadbalancers.add(after.loadbalancer().uuid());
      }
    }
  }

  private void pool(LoadbalancerPool before, LoadbalancerPool after) {
    if (before != null) {
      pools.remove(before.uuid());
      if (before.listener() != null) {
        removeFrom(poolsOfListener, before.listener().uuid(), before.uuid());
        addLoadbalancerOf(lbListeners.get(before.listener().uuid()), dirtyLoadbalancers);
      }
    }
    if (after != null) {
      pools.put(after.uuid(), after);
      if (after.listener() != null) {
        poolsOfListener
            .computeIfAbsent(after.listener().uuid(), k -> new HashSet<>())
            .add(after.uuid());
        addLoadbalancerOf(lbListeners.get(after.listener().uuid()), dirtyLoadbalancers);
      }
    }
  }

  private void member(LoadbalancerMember before, LoadbalancerMember after) {
    if (before != null) {
      members.remove(before.uuid());
      if (before.parent() != null) {
        removeFrom(membersOfPool, before.parent().uuid(), before.uuid());
      }
      if (before.virtualMachineInterface() != null) {
        removeFrom(membersOfInterface, before.virtualMachineInterface().uuid(), before.uuid());
      }
      UUID lb = loadbalancerOfMember(before);
      if (lb != null) {
        dirtyLoadbalancers.add(lb);
      }
    }
    if (after != null) {
      members.put(after.uuid(), after);
      if (after.parent() != null) {
        membersOfPool
            .computeIfAbsent(after.parent().uuid(), k -> new HashSet<>())
            .add(after.uuid());
      }
      if (after.virtualMachineInterface() != null) {
        membersOfInterface
            .computeIfAbsent(after.virtualMachineInterface().uuid(), k -> new HashSet<>())
            .add(after.uuid());
      }
      UUID lb = loadbalancerOfMember(after);
      if (lb != null) {
        dirtyLoadbalancers.add(lb);
      }
    }
  }

  private static void addLoadbalancerOf(LoadbalancerListener l, Set<UUID> out) {
    if (l != null && l.loadbalancer() != null) {
      out.add(l.loadbalancer().uuid());
    }
  }

  private UUID loadbalancerOfMember(LoadbalancerMember m) {
    if (m == null || m.parent() == null) {
      return null;
    }
    LoadbalancerPool pool = pools.get(m.parent().uuid());
    LoadbalancerListener l =
        pool == null || pool.listener() == null ? null : lbListeners.get(pool.listener().uuid());
    return l == null || l.loadbalancer() == null ? null : l.loadbalancer().uuid();
  }

  /**
   * Recompiles the load balancers the batch touched, each once, from the objects as the whole batch
   * left them: a VIP route is a function of those objects and of the backends' endpoints alone.
   * Until then, a reader (who may see the middle of a batch anyway) sees the routes as they were;
   * {@link #awaitRevision} waits for this too.
   *
   * @return the first failure, the others suppressed in it (one load balancer failing does not stop
   *     the others), or null
   */
  private RuntimeException recompileLoadbalancers() {
    RuntimeException failed = null;
    for (UUID lb : dirtyLoadbalancers) {
      try {
        recompileLoadbalancer(lb);
      } catch (RuntimeException e) {
        if (failed == null) {
          failed = e;
        } else {
          failed.addSuppressed(e);
        }
      }
    }
    dirtyLoadbalancers = new LinkedHashSet<>();
    return failed;
  }

  /**
   * The service next hop of one load balancer and every way into it: its VIP route, the routes of
   * the floating IPs that front it, and its listeners' node ports. All of them share one {@link
   * NextHop.Service}, compiled from the load balancer's listeners, pools and members and from the
   * backends' endpoints; they follow it here, so a member joining or a backend moving node changes
   * every way in at once.
   */
  private void recompileLoadbalancer(UUID lbUuid) {
    ServiceRoute vip = vipRoutes.remove(lbUuid);
    if (vip != null) {
      removeServiceRoute(vip);
    }
    NextHop.Service was = services.remove(lbUuid);
    if (was != null) {
      unclaimNodePorts(was);
    }
    Loadbalancer lb = loadbalancers.get(lbUuid);
    NextHop.Service service = lb == null ? null : compileService(lb);
    if (service != null) {
      services.put(lbUuid, service);
      claimNodePorts(service);
      if (lb.vipNetwork() != null && lb.vipAddress() != null) {
        vip = new ServiceRoute(canonical(lb.vipNetwork().to()), lb.vipAddress(), lbUuid.toString());
        addServiceRoute(vip, service);
        vipRoutes.put(lbUuid, vip);
      }
    }
    // Its floating IPs follow it: a new hop, or no route while the load balancer is gone.
    for (UUID fip : floatingIpsOfLoadbalancer.getOrDefault(lbUuid, Set.of())) {
      recompileFloatingIpService(fip);
    }
  }

  /**
   * Per listener the members of its pools that are Weft interfaces (a member outside Weft cannot be
   * forwarded to), in a stable order, each translated to the member's address and port; and the
   * listener's node port. Listeners are taken in UUID order and the first one on a protocol and
   * port keeps it (Kubernetes never gives a service one port twice), so the hop is the same
   * whatever order they arrived in.
   */
  private NextHop.Service compileService(Loadbalancer lb) {
    List<UUID> listenerIds =
        new ArrayList<>(listenersOfLoadbalancer.getOrDefault(lb.uuid(), Set.of()));
    listenerIds.sort(null);
    Map<NextHop.ServicePort, List<NextHop.Interface>> byPort = new HashMap<>();
    Map<NextHop.ServicePort, Integer> nodePortsByPort = new HashMap<>();
    for (UUID l : listenerIds) {
      LoadbalancerListener listener = lbListeners.get(l);
      NextHop.ServicePort port = new NextHop.ServicePort(listener.protocol(), listener.port());
      if (byPort.containsKey(port)) {
        continue;
      }
      TreeMap<String, NextHop.Interface> hops = new TreeMap<>();
      for (UUID p : poolsOfListener.getOrDefault(l, Set.of())) {
        for (UUID m : membersOfPool.getOrDefault(p, Set.of())) {
          LoadbalancerMember member = members.get(m);
          Endpoint e =
              member.virtualMachineInterface() == null
                  ? null
                  : endpoints.get(member.virtualMachineInterface().uuid());
          if (e == null) {
            continue;
          }
          hops.put(
              e.interfaceUuid() + "/" + member.address() + ":" + member.port(),
              new NextHop.Interface(
                  e.interfaceUuid(), e.node(), e.nodeAddress(), member.address(), member.port()));
        }
      }
      byPort.put(port, List.copyOf(hops.values()));
      if (listener.nodePort() != null) {
        nodePortsByPort.put(port, listener.nodePort());
      }
    }
    return new NextHop.Service(lb.uuid(), lb.fqName(), byPort, nodePortsByPort);
  }

  private void addServiceRoute(ServiceRoute r, NextHop.Service service) {
    serviceHops
        .computeIfAbsent(r.network(), k -> new HashMap<>())
        .computeIfAbsent(r.address(), k -> new TreeMap<>())
        .put(r.key(), service);
    reroute(r.network(), r.address());
    dirtyVrfs.add(r.network());
  }

  private void removeServiceRoute(ServiceRoute r) {
    Map<String, TreeMap<String, NextHop.Service>> byAddress = serviceHops.get(r.network());
    TreeMap<String, NextHop.Service> named = byAddress == null ? null : byAddress.get(r.address());
    if (named != null) {
      named.remove(r.key());
      if (named.isEmpty()) {
        byAddress.remove(r.address());
        if (byAddress.isEmpty()) {
          serviceHops.remove(r.network());
        }
      }
    }
    reroute(r.network(), r.address());
    dirtyVrfs.add(r.network());
  }

  // ---------------------------------------------------------------------------------------------
  // Node ports: every node's address, at a listener's node port, leads to that listener

  private static NextHop.ServicePort nodePortOf(NextHop.ServicePort port, int nodePort) {
    return new NextHop.ServicePort(port.protocol(), nodePort);
  }

  private static String nodePortKey(NextHop.Service service, NextHop.ServicePort port) {
    return service.loadbalancerUuid() + "/" + port;
  }

  private void claimNodePorts(NextHop.Service service) {
    for (Map.Entry<NextHop.ServicePort, Integer> e : service.nodePorts().entrySet()) {
      NextHop.ServicePort nodePort = nodePortOf(e.getKey(), e.getValue());
      nodePortClaims
          .computeIfAbsent(nodePort, k -> new TreeMap<>())
          .put(nodePortKey(service, e.getKey()), new NodePort(nodePort, service, e.getKey()));
      refreshNodePort(nodePort);
    }
  }

  private void unclaimNodePorts(NextHop.Service service) {
    for (Map.Entry<NextHop.ServicePort, Integer> e : service.nodePorts().entrySet()) {
      NextHop.ServicePort nodePort = nodePortOf(e.getKey(), e.getValue());
      TreeMap<String, NodePort> claimants = nodePortClaims.get(nodePort);
      if (claimants != null) {
        claimants.remove(nodePortKey(service, e.getKey()));
        if (claimants.isEmpty()) {
          nodePortClaims.remove(nodePort);
        }
      }
      refreshNodePort(nodePort);
    }
  }

  private void refreshNodePort(NextHop.ServicePort nodePort) {
    TreeMap<String, NodePort> claimants = nodePortClaims.get(nodePort);
    NodePort now = claimants == null ? null : claimants.firstEntry().getValue();
    NodePort was = now == null ? nodePorts.remove(nodePort) : nodePorts.put(nodePort, now);
    if (!Objects.equals(was, now)) {
      dirtyNodePorts.add(nodePort);
    }
  }

  // ---------------------------------------------------------------------------------------------
  // Floating IPs: a host route in the pool's network, destination NAT to the interface's address,
  // or to a load balancer's backends

  private void floatingIp(FloatingIp before, FloatingIp after) {
    UUID uuid = after != null ? after.uuid() : before.uuid();
    if (before != null) {
      for (Ref r : before.interfaces()) {
        removeFrom(floatingIpsOfInterface, r.uuid(), uuid);
      }
      if (before.loadbalancer() != null) {
        removeFrom(floatingIpsOfLoadbalancer, before.loadbalancer().uuid(), uuid);
      }
    }
    if (after == null) {
      floatingIps.remove(uuid);
    } else {
      floatingIps.put(uuid, after);
      for (Ref r : after.interfaces()) {
        floatingIpsOfInterface.computeIfAbsent(r.uuid(), k -> new HashSet<>()).add(uuid);
      }
      if (after.loadbalancer() != null) {
        floatingIpsOfLoadbalancer
            .computeIfAbsent(after.loadbalancer().uuid(), k -> new HashSet<>())
            .add(uuid);
      }
    }
    recompileFloatingIp(uuid);
    recompileFloatingIpService(uuid);
  }

  /**
   * A floating IP is an address of its pool's network (the pool's parent) that routes to each
   * interface it is associated with, translated on the receiving node to the interface's fixed
   * address: {@code fixed_ip_address} when set, else the interface's first address of the floating
   * IP's family. Several interfaces make an ECMP route, as a service VIP on every backend does.
   */
  private void recompileFloatingIp(UUID fipUuid) {
    FipClaim old = fipClaims.remove(fipUuid);
    if (old != null) {
      for (UUID iface : old.interfaces()) {
        unclaim(old.network(), old.address(), iface, fipUuid);
      }
      dirtyVrfs.add(old.network());
    }
    FloatingIp fip = floatingIps.get(fipUuid);
    if (fip == null || fip.parent() == null || fip.parent().to() == null) {
      return;
    }
    FqName network = canonical(fip.parent().to().parentName());
    boolean v6 = fip.address().indexOf(':') >= 0;
    List<UUID> claimed = new ArrayList<>();
    for (Ref r : fip.interfaces()) {
      Endpoint e = endpoints.get(r.uuid());
      if (e == null) {
        continue;
      }
      String fixed = fip.fixedIpAddress();
      if (fixed == null || !e.addresses().contains(fixed)) {
        fixed =
            e.addresses().stream()
                .filter(a -> (a.indexOf(':') >= 0) == v6)
                .findFirst()
                .orElse(null);
      }
      if (fixed == null) {
        continue; // no address of the family to translate to
      }
      claim(
          network,
          fip.address(),
          new NextHop.Interface(e.interfaceUuid(), e.node(), e.nodeAddress(), fixed),
          fipUuid);
      claimed.add(e.interfaceUuid());
    }
    if (!claimed.isEmpty()) {
      fipClaims.put(fipUuid, new FipClaim(network, fip.address(), claimed));
      dirtyVrfs.add(network);
    }
  }

  /**
   * A floating IP fronting a load balancer (a LoadBalancer service's address, an external IP) is a
   * host route in its pool's network to the load balancer's service hop: the same listeners and
   * backends as the VIP, so the same translation to the backend's address and target port. While
   * the load balancer does not exist it has no route; the load balancer's compile adds it (and
   * keeps it in step, see {@link #recompileLoadbalancer}). Within a batch this reads the hop as
   * last compiled: if the batch also touched the load balancer, its compile at the end of the batch
   * sets the route again.
   */
  private void recompileFloatingIpService(UUID fipUuid) {
    ServiceRoute old = fipServiceRoutes.remove(fipUuid);
    if (old != null) {
      removeServiceRoute(old);
    }
    FloatingIp fip = floatingIps.get(fipUuid);
    if (fip == null
        || fip.loadbalancer() == null
        || fip.parent() == null
        || fip.parent().to() == null) {
      return;
    }
    NextHop.Service service = services.get(fip.loadbalancer().uuid());
    if (service == null) {
      return;
    }
    ServiceRoute r =
        new ServiceRoute(
            canonical(fip.parent().to().parentName()),
            fip.address(),
            fip.loadbalancer().uuid() + "/" + fipUuid);
    addServiceRoute(r, service);
    fipServiceRoutes.put(fipUuid, r);
  }

  /*
   * An address may be claimed by several interfaces of one network (one instance IP on two
   * interfaces, or an address handed out twice). The route then goes to all of them, as ECMP in
   * interface UUID order, whatever order the claims arrived in: otherwise the route would be
   * whichever claim came last, and would vanish with the first claimant to go, so the compiled
   * state would depend on the history of changes rather than on the objects.
   */

  /**
   * A claim is keyed by the interface and by what makes it (the interface's own address, or a
   * floating IP), so two floating IPs with one address on one interface are two claims.
   */
  private static String claimKey(UUID interfaceUuid, UUID by) {
    return interfaceUuid + "/" + by;
  }

  private void claim(FqName network, String address, NextHop.Interface hop, UUID by) {
    claims
        .computeIfAbsent(network, k -> new HashMap<>())
        .computeIfAbsent(address, k -> new TreeMap<>())
        .put(claimKey(hop.interfaceUuid(), by), hop);
    reroute(network, address);
  }

  private void unclaim(FqName network, String address, UUID interfaceUuid, UUID by) {
    Map<String, TreeMap<String, NextHop.Interface>> byAddress = claims.get(network);
    TreeMap<String, NextHop.Interface> claimants =
        byAddress == null ? null : byAddress.get(address);
    if (claimants == null || claimants.remove(claimKey(interfaceUuid, by)) == null) {
      return;
    }
    if (claimants.isEmpty()) {
      byAddress.remove(address);
      if (byAddress.isEmpty()) {
        claims.remove(network);
      }
    }
    reroute(network, address);
  }

  /**
   * Sets the host route of {@code address} in {@code network} from what claims it. Interfaces come
   * first: an interface's own address, or a floating IP associated with interfaces, wins over a
   * service route (a VIP, or a floating IP fronting a load balancer) on the same address, as a more
   * specific intent (IPAM never hands one address to both; if it happens, the pod keeps its traffic
   * rather than a service taking it). Among service routes the first key wins: the lowest load
   * balancer UUID, its VIP before its floating IPs. Either way the route depends only on what
   * claims the address, never on the order the claims came in.
   */
  private void reroute(FqName network, String address) {
    Map<String, TreeMap<String, NextHop.Interface>> byAddress = claims.get(network);
    TreeMap<String, NextHop.Interface> claimants =
        byAddress == null ? null : byAddress.get(address);
    if (claimants == null) {
      Map<String, TreeMap<String, NextHop.Service>> services = serviceHops.get(network);
      TreeMap<String, NextHop.Service> named = services == null ? null : services.get(address);
      NextHop.Service service = named == null ? null : named.firstEntry().getValue();
      if (service != null) {
        hostRoutes
            .computeIfAbsent(network, k -> new HashMap<>())
            .put(address, new Route(hostPrefix(address), service, network));
        return;
      }
      Map<String, Route> routes = hostRoutes.get(network);
      if (routes != null) {
        routes.remove(address);
        if (routes.isEmpty()) {
          hostRoutes.remove(network);
        }
      }
      return;
    }
    List<NextHop.Interface> members = claimants.values().stream().distinct().toList();
    NextHop hop = members.size() == 1 ? members.get(0) : new NextHop.Ecmp(members);
    Map<String, Route> routes = hostRoutes.computeIfAbsent(network, k -> new HashMap<>());
    Route was = routes.get(address);
    routes.put(address, new Route(was != null ? was.prefix() : hostPrefix(address), hop, network));
  }

  private Endpoint endpointOf(UUID interfaceUuid) {
    VirtualMachineInterface vmi = interfaces.get(interfaceUuid);
    if (vmi == null) {
      return null;
    }
    List<InstanceIp> ips = new ArrayList<>();
    for (UUID ip : ipsOfInterface.getOrDefault(interfaceUuid, Set.of())) {
      InstanceIp i = instanceIps.get(ip);
      if (i != null && !i.serviceIp()) {
        ips.add(i);
      }
    }
    ips.sort(Comparator.comparing((InstanceIp i) -> i.family()).thenComparing(InstanceIp::address));
    String node = null;
    String nodeAddress = null;
    VirtualMachine vm =
        vmi.virtualMachine() == null ? null : machines.get(vmi.virtualMachine().uuid());
    if (vm != null && vm.virtualRouter() != null) {
      node = vm.virtualRouter().to().name();
      VirtualRouter vr = routers.get(vm.virtualRouter().uuid());
      nodeAddress = vr == null ? null : vr.ipAddress();
    }
    Map<String, String> a = vmi.annotations();
    boolean pod = "Pod".equals(a.get(Owner.KIND));
    return new Endpoint(
        interfaceUuid,
        vmi.fqName(),
        canonical(vmi.virtualNetwork().to()),
        vmi.macAddress(),
        ips.stream().map(InstanceIp::address).toList(),
        pod ? a.getOrDefault(Owner.NAMESPACE, "") : "",
        pod ? a.getOrDefault(Owner.NAME, "") : "",
        node,
        nodeAddress);
  }

  private static IpPrefix hostPrefix(String address) {
    return IpPrefix.parse(address + (address.indexOf(':') >= 0 ? "/128" : "/32"));
  }

  /** The one instance of {@code name} in compiled state (null stays null). */
  private FqName canonical(FqName name) {
    if (name == null) {
      return null;
    }
    WeakReference<FqName> known = names.get(name);
    FqName c = known == null ? null : known.get();
    if (c == null) {
      c = new FqName(name.parts().stream().map(String::intern).toList());
      names.put(c, new WeakReference<>(c));
    }
    return c;
  }

  /** {@code r} with its network ends named by their canonical instances; equal to {@code r}. */
  private PolicyRule canonical(PolicyRule r) {
    AddressMatch s = r.source();
    AddressMatch d = r.destination();
    if (s.virtualNetwork() == null && d.virtualNetwork() == null) {
      return r;
    }
    return new PolicyRule(
        r.action(),
        r.direction(),
        r.protocol(),
        s.virtualNetwork() == null ? s : AddressMatch.network(canonical(s.virtualNetwork())),
        r.sourcePorts(),
        d.virtualNetwork() == null ? d : AddressMatch.network(canonical(d.virtualNetwork())),
        r.destinationPorts());
  }

  private static <K, V> void removeFrom(Map<K, Set<V>> index, K key, V value) {
    Set<V> s = index.get(key);
    if (s != null) {
      s.remove(value);
      if (s.isEmpty()) {
        index.remove(key);
      }
    }
  }

  // ---------------------------------------------------------------------------------------------
  // The read side

  private final class VrfState implements Vrf {
    private final FqName network;
    private Acl acl;
    private Map<FqName, List<FqName>> imports = Map.of();

    VrfState(FqName network) {
      this.network = network;
      this.acl = Acl.empty(network);
    }

    @Override
    public FqName network() {
      return network;
    }

    @Override
    public Map<FqName, List<FqName>> imports() {
      return imports;
    }

    @Override
    public Acl acl() {
      return acl;
    }

    @Override
    public List<String> routeTargets() {
      VirtualNetwork n = networkNamed(network);
      return n == null ? List.of() : n.routeTargets();
    }

    @Override
    public Route lookup(String address) {
      // Only host routes exist so far: an exact match is the longest prefix.
      Map<String, Route> own = hostRoutes.get(network);
      Route r = own == null ? null : own.get(address);
      if (r != null) {
        return r;
      }
      for (FqName other : imports.keySet()) {
        Map<String, Route> theirs = hostRoutes.get(other);
        r = theirs == null ? null : theirs.get(address);
        if (r != null) {
          return r;
        }
      }
      return null;
    }

    @Override
    public List<Route> routes() {
      List<Route> out = new ArrayList<>();
      List<Route> own = new ArrayList<>(hostRoutes.getOrDefault(network, Map.of()).values());
      own.sort(BY_PREFIX);
      out.addAll(own);
      for (FqName other : imports.keySet()) {
        List<Route> theirs = new ArrayList<>(hostRoutes.getOrDefault(other, Map.of()).values());
        theirs.sort(BY_PREFIX);
        out.addAll(theirs);
      }
      return out;
    }
  }

  private final class View implements CompiledView {
    @Override
    public long revision() {
      return revision;
    }

    @Override
    public Endpoint endpoint(UUID interfaceUuid) {
      return endpoints.get(interfaceUuid);
    }

    @Override
    public Collection<Endpoint> endpoints() {
      return endpoints.values();
    }

    @Override
    public Vrf vrf(FqName network) {
      return vrfs.get(network);
    }

    @Override
    public Collection<? extends Vrf> vrfs() {
      return vrfs.values();
    }

    @Override
    public NextHop.Service service(UUID loadbalancer) {
      return services.get(loadbalancer);
    }

    @Override
    public List<String> floatingIps(UUID loadbalancer) {
      Set<UUID> fips = floatingIpsOfLoadbalancer.getOrDefault(loadbalancer, Set.of());
      TreeSet<String> out = new TreeSet<>(ADDRESS_ORDER);
      for (UUID fip : fips) {
        ServiceRoute r = fipServiceRoutes.get(fip);
        if (r != null) {
          out.add(r.address());
        }
      }
      return List.copyOf(out);
    }

    @Override
    public NodePort nodePort(Protocol protocol, int port) {
      return nodePorts.get(new NextHop.ServicePort(protocol, port));
    }

    @Override
    public Collection<NodePort> nodePorts() {
      return Collections.unmodifiableCollection(nodePorts.values());
    }

    @Override
    public SortedMap<String, String> nodeAddresses() {
      return Collections.unmodifiableSortedMap(nodeAddresses);
    }

    @Override
    public PolicyView policies() {
      return policyEngine.view();
    }

    @Override
    public String nodeAt(String address) {
      TreeSet<String> named = nodesAtAddress.get(address);
      return named == null ? null : named.first();
    }
  }

  /** IPv4 before IPv6, each numerically (so 192.0.2.9 before 192.0.2.10). */
  private static final Comparator<String> ADDRESS_ORDER =
      Comparator.comparing((String a) -> a.indexOf(':') >= 0)
          .thenComparing(Compiler::addressBytes, Arrays::compareUnsigned)
          .thenComparing(Comparator.naturalOrder());

  private static byte[] addressBytes(String address) {
    try {
      return InetAddress.getByName(address).getAddress(); // a literal: no name is looked up
    } catch (UnknownHostException e) {
      return new byte[0];
    }
  }
}
