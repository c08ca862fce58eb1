package dev.weft.agent.node;

import dev.weft.agent.Shell;
import dev.weft.agent.linux.LinuxNode;
import dev.weft.agent.linux.NodeRenderer;
import dev.weft.agent.linux.NodeState;
import dev.weft.agent.linux.NodeState.PodInterface;
import dev.weft.agent.linux.ReconcileException;
import dev.weft.agent.linux.ReconcileReport;
import dev.weft.cni.ErrorCodes;
import dev.weft.control.Compiler;
import dev.weft.control.Endpoint;
import dev.weft.control.NextHop;
import dev.weft.model.FqName;
import dev.weft.model.ObjectType;
import dev.weft.model.VirtualMachineInterface;
import dev.weft.store.ConfigStore;
import dev.weft.store.objects.ObjectCache;
import dev.weft.store.objects.ObjectCodec;
import dev.weft.store.objects.Stored;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import java.util.UUID;
import java.util.concurrent.Callable;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.Future;
import java.util.concurrent.ScheduledThreadPoolExecutor;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import java.util.concurrent.atomic.AtomicBoolean;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The node agent's core: follows the config store read-only (its own object cache and {@link
 * Compiler}), renders this node's {@link NodeState} and keeps the kernel at it through one {@link
 * LinuxNode}: the fast path ({@link LinuxNode#update}) on every compiled change, debounced; a full
 * {@link LinuxNode#reconcile} at start, on a timer, after each CNI change and, with backoff, after
 * a failure.
 *
 * <p>All kernel work runs on one thread (LinuxNode is not thread-safe): the agent's own, and the
 * CNI's through {@link #onKernel}. Nothing is programmed before the compiled view has reached the
 * store's revision at start and the store knows this node (its virtual router): an agent restarted
 * against a store it has not read yet, or an empty one, would otherwise render an empty node and
 * take every running pod off the network. Closing the agent leaves the kernel as it is, so pods
 * keep their traffic while the agent restarts.
 */
public final class NodeAgent implements AutoCloseable {
  private static final Logger LOG = LoggerFactory.getLogger(NodeAgent.class);

  /** The FQ name prefix of every virtual router: {@code [default-global-system-config, NODE]}. */
  public static final String GLOBAL_SYSTEM_CONFIG = "default-global-system-config";

  private static final Duration FIRST_RETRY = Duration.ofMillis(200);

  /**
   * How the agent runs.
   *
   * @param node this node's name (its virtual router's)
   * @param netns the network namespace that is the node (as {@code ip netns} names it), or null
   * @param mtu the MTU of pods' interfaces and VXLAN devices
   * @param reconcileInterval how often the kernel is read and repaired
   * @param debounce how long a compiled change waits for the next before it is programmed
   */
  public record Options(
      String node, String netns, int mtu, Duration reconcileInterval, Duration debounce) {
    public Options {
      if (node == null || node.isBlank()) {
        throw new IllegalArgumentException("the node's name is required");
      }
      if (reconcileInterval.isNegative() || reconcileInterval.isZero()) {
        throw new IllegalArgumentException(
            "the reconcile interval must be positive, got " + reconcileInterval);
      }
      if (debounce.isNegative()) {
        throw new IllegalArgumentException("the debounce must not be negative, got " + debounce);
      }
      new NodeRenderer(mtu); // validates the MTU, saying why
    }

    /** Node {@code node} in this process's namespace, MTU 1450, reconciled every 10 s. */
    public static Options of(String node) {
      return new Options(
          node, null, NodeRenderer.DEFAULT_MTU, Duration.ofSeconds(10), Duration.ofMillis(30));
    }

    public Options withNetns(String ns) {
      return new Options(node, ns, mtu, reconcileInterval, debounce);
    }

    public Options withMtu(int m) {
      return new Options(node, netns, m, reconcileInterval, debounce);
    }

    public Options withReconcileInterval(Duration d) {
      return new Options(node, netns, mtu, d, debounce);
    }
  }

  /**
   * What the agent knows and last did: an immutable snapshot for introspection and CNI STATUS.
   *
   * @param ready whether the first reconcile has run (so CNI requests are served)
   * @param notReady why it is not ready or no longer programming, or null
   * @param startRevision the store's revision when the agent started: nothing is programmed before
   *     the compiled view reaches it
   * @param compiledRevision the store revision the compiled view is at
   * @param renderedRevision the compiled revision of {@code desired}
   * @param programmedRevision the compiled revision the kernel holds: the one it last took in full
   *     (an update or reconcile without a failed step), or a later one when no compiled change came
   *     since; what a caller waits for to know that a change is in effect on this node
   * @param desired the node's state as last rendered (null before the first render)
   * @param lastReconcile when the last full reconcile ended (null: none yet)
   * @param lastReport what the last update or reconcile did (null: none yet)
   * @param lastError the last failure, with the failing commands, or null when the last attempt
   *     succeeded
   * @param failures failed attempts in a row
   */
  public record Status(
      String node,
      String netns,
      boolean ready,
      String notReady,
      long startRevision,
      long compiledRevision,
      long renderedRevision,
      long programmedRevision,
      NodeState desired,
      Instant lastReconcile,
      ReconcileReport lastReport,
      String lastError,
      Instant lastErrorAt,
      int failures) {}

  /**
   * Where a pod's interface stands on this node.
   *
   * @param local its interface as this node programs it, or null while there is none
   * @param code when {@code local} is null: the CNI error code to report if it stays so
   * @param problem when {@code local} is null: why, for a person
   */
  public record PodLookup(PodInterface local, int code, String problem) {}

  private final ConfigStore store;
  private final Options options;
  private final Clock clock;
  private final LinuxNode linux;
  private final NodeRenderer renderer;
  private final ScheduledThreadPoolExecutor kernel;
  private final AtomicBoolean updatePending = new AtomicBoolean();
  private final AtomicBoolean retryPending = new AtomicBoolean();
  private final Object changed = new Object();
  private ObjectCache cache;
  private Compiler compiler;
  private long startRevision;
  private long generation;

  // Written on the kernel thread only; read anywhere.
  private volatile boolean ready;
  private volatile String notReady = "starting";
  private volatile NodeState desired;
  private volatile long renderedRevision;
  private volatile long programmedRevision;

  /** Compiled changes seen (counted before the compiler advances its revision past them). */
  private final java.util.concurrent.atomic.AtomicLong changeCount =
      new java.util.concurrent.atomic.AtomicLong();

  /** {@link #changeCount} when the last successful attempt began rendering. */
  private volatile long programmedChanges = -1;

  private volatile Instant lastReconcile;
  private volatile ReconcileReport lastReport;
  private volatile String lastError;
  private volatile Instant lastErrorAt;
  private volatile int failures;
  private volatile boolean closed;

  private NodeAgent(ConfigStore store, Shell shell, Options options, Clock clock) {
    this.store = store;
    this.options = options;
    this.clock = clock;
    this.linux = new LinuxNode(options.node(), shell, options.netns(), clock);
    // VNIs in the order networks were created in the store: the same on every node, and a
    // network keeps its VNI when another appears.
    this.renderer =
        new NodeRenderer(
            options.mtu(),
            network ->
                cache
                    .get(ObjectType.VIRTUAL_NETWORK, network)
                    .map(Stored::createRevision)
                    .orElse(Long.MAX_VALUE));
    this.kernel =
        new ScheduledThreadPoolExecutor(
            1,
            r -> {
              Thread t = new Thread(r, "weft-agent-kernel " + options.node());
              t.setDaemon(true);
              return t;
            });
    kernel.setRemoveOnCancelPolicy(true);
    kernel.setExecuteExistingDelayedTasksAfterShutdownPolicy(false);
    kernel.setContinueExistingPeriodicTasksAfterShutdownPolicy(false);
  }

  /**
   * Reads {@code store} (it only ever reads it: no transaction is made) and starts programming the
   * node. The store stays the caller's to close, after this agent.
   */
  public static NodeAgent start(ConfigStore store, Shell shell, Options options, Clock clock) {
    NodeAgent agent = new NodeAgent(store, shell, options, clock);
    try {
      agent.startFollowing();
      return agent;
    } catch (RuntimeException e) {
      agent.close();
      throw e;
    }
  }

  private void startFollowing() {
    startRevision = store.revision();
    // An object cache, not an ObjectStore: the agent has no business writing.
    cache = new ObjectCache(store, new ObjectCodec()).start();
    compiler = Compiler.follow(cache);
    compiler.addChangeListener(
        new Compiler.ChangeListener() {
          @Override
          public void onVrfChanged(FqName network) {
            changed();
          }

          @Override
          public void onEndpointChanged(UUID interfaceUuid) {
            changed();
          }

          @Override
          public void onNodePortChanged(NextHop.ServicePort nodePort) {
            changed();
          }
        });
    compiler.addPolicyListener(delta -> changed());
    kernel.execute(this::startUp);
  }

  // ---------------------------------------------------------------------------------------------
  // The kernel thread

  private void startUp() {
    if (closed) {
      return;
    }
    if (compiler.revision() < startRevision) {
      notReady =
          "the compiled view is at store revision "
              + compiler.revision()
              + ", behind the store's "
              + startRevision
              + " at start";
      kernel.schedule(this::startUp, 50, TimeUnit.MILLISECONDS);
      return;
    }
    reconcileNow("start");
    long period = options.reconcileInterval().toMillis();
    kernel.scheduleWithFixedDelay(
        () -> reconcileNow("timer"), period, period, TimeUnit.MILLISECONDS);
  }

  /** Called on the compiling thread: schedules one debounced update. */
  private void changed() {
    changeCount.incrementAndGet();
    if (!closed && updatePending.compareAndSet(false, true)) {
      try {
        kernel.schedule(this::updateNow, options.debounce().toMillis(), TimeUnit.MILLISECONDS);
      } catch (java.util.concurrent.RejectedExecutionException e) {
        updatePending.set(false); // closing
      }
    }
  }

  private void updateNow() {
    updatePending.set(false);
    if (closed || !ready) {
      return; // the start-up reconcile renders the latest state itself
    }
    attempt("update", false);
  }

  /** A full reconcile of the node to the latest compiled state; on the kernel thread only. */
  ReconcileReport reconcileNow(String why) {
    if (closed || compiler.revision() < startRevision) {
      return null; // never program from a view that has not caught up (see the class comment)
    }
    return attempt(why, true);
  }

  /**
   * On the kernel thread, right after the CNI created pod interface {@code p}'s host veth (up, with
   * its MTU and MAC, nothing else removed): programs the node for it without reading the kernel
   * ({@link LinuxNode#vethAdded}), so that an ADD costs the pod's own routes and elements, not a
   * read of the whole node. The periodic reconcile still reads everything.
   *
   * @return false when that was not done or failed (nothing programmed yet, a command failed): the
   *     caller then asks for a full reconcile
   */
  public boolean programWired(PodInterface p) {
    return updateAfterCni(state -> linux.vethAdded(state, p.hostDevice(), p.mtu(), p.hostMac()));
  }

  /**
   * On the kernel thread, right after the CNI deleted pods' host veths {@code devices}: programs
   * the node without reading the kernel ({@link LinuxNode#vethsRemoved}).
   *
   * @return false when that was not done or failed: the caller then asks for a full reconcile
   */
  public boolean programRemoved(List<String> devices) {
    return updateAfterCni(state -> linux.vethsRemoved(state, devices));
  }

  /** One of the CNI's updates without a read; false when not done or not wholly applied. */
  private boolean updateAfterCni(java.util.function.Function<NodeState, ReconcileReport> program) {
    if (closed || !ready || compiler.revision() < startRevision) {
      return false;
    }
    ReconcileReport r = attempt("update after CNI", false, program);
    return r != null && r.errors().isEmpty();
  }

  /**
   * Renders and programs the node: {@code full} reads the kernel first. Never throws: a failure is
   * logged with what failed and retried with backoff, so that the periodic task goes on.
   */
  private ReconcileReport attempt(String why, boolean full) {
    return attempt(why, full, full ? linux::reconcile : linux::update);
  }

  private ReconcileReport attempt(
      String why, boolean full, java.util.function.Function<NodeState, ReconcileReport> program) {
    try {
      long seen = changeCount.get();
      NodeState state = render();
      if (state == null) {
        return null;
      }
      long revision = renderedRevision;
      ReconcileReport r = program.apply(state);
      programmedRevision = revision;
      programmedChanges = seen;
      lastReport = r;
      if (full) {
        lastReconcile = clock.instant();
      }
      if (failures > 0) {
        LOG.info("node {}: {} succeeded after {} failure(s)", options.node(), why, failures);
      }
      failures = 0;
      lastError = null;
      ready = true;
      notReady = null;
      return r;
    } catch (ReconcileException e) {
      // Partly applied: the node is programmed as far as it can be; the rest is retried.
      lastReport = e.report();
      if (full) {
        lastReconcile = clock.instant();
      }
      ready = true;
      notReady = null;
      failed(why, e.getMessage());
      return e.report();
    } catch (RuntimeException e) {
      failed(why, e.getClass().getSimpleName() + ": " + e.getMessage());
      LOG.debug("node {}: {} failed", options.node(), why, e);
      return null;
    } finally {
      signal();
    }
  }

  private void failed(String why, String message) {
    failures++;
    lastError = message;
    lastErrorAt = clock.instant();
    long max = options.reconcileInterval().toMillis();
    long delay = Math.min(max, FIRST_RETRY.toMillis() << Math.min(failures - 1, 16));
    LOG.warn(
        "node {}: {} failed (failure {} in a row; full reconcile again in {} ms): {}",
        options.node(),
        why,
        failures,
        delay,
        message);
    if (!closed && retryPending.compareAndSet(false, true)) {
      kernel.schedule(
          () -> {
            retryPending.set(false);
            reconcileNow("retry");
          },
          delay,
          TimeUnit.MILLISECONDS);
    }
  }

  /**
   * Renders the node from the compiled view; null (nothing to program) while the store does not
   * know this node.
   */
  private NodeState render() {
    record Rendered(long revision, NodeState state, boolean known) {}
    Rendered r =
        compiler.read(
            v -> {
              boolean known =
                  v.nodeAddresses().containsKey(options.node())
                      || cache
                          .get(
                              ObjectType.VIRTUAL_ROUTER,
                              FqName.of(GLOBAL_SYSTEM_CONFIG, options.node()))
                          .isPresent();
              return new Rendered(
                  v.revision(), known ? renderer.render(v, options.node()) : null, known);
            });
    if (!r.known()) {
      notReady =
          "node "
              + options.node()
              + " is not known to Weft: "
              + store.describe()
              + " has no virtual router "
              + GLOBAL_SYSTEM_CONFIG
              + ":"
              + options.node()
              + " (is the kube-manager running, and is "
              + options.node()
              + " a node of its cluster?); nothing is programmed until it is";
      if (!ready) {
        LOG.info("node {}: {}", options.node(), notReady);
      }
      signal();
      return null;
    }
    if (desired == null || !desired.warnings().equals(r.state().warnings())) {
      for (String w : r.state().warnings()) {
        LOG.warn("node {}: {}", options.node(), w);
      }
    }
    desired = r.state();
    renderedRevision = r.revision();
    return r.state();
  }

  private void signal() {
    synchronized (changed) {
      generation++;
      changed.notifyAll();
    }
  }

  // ---------------------------------------------------------------------------------------------
  // For the CNI endpoint and introspection

  /**
   * Runs {@code task} on the kernel thread (after whatever is queued) and, with {@code
   * reconcileAfter}, waits for a full reconcile that began after it; returns the task's result. The
   * reconcile's failure is logged and retried, not thrown.
   *
   * <p>CNI requests that arrive together share reconciles: a reconcile reads the whole node, so one
   * that starts after several pods' veths were wired serves all of them. Fifty concurrent ADDs are
   * fifty short wirings and a few reconciles, not fifty reconciles in a row.
   *
   * @throws TimeoutException when it did not finish within {@code timeout}
   * @throws ExecutionException with the task's exception
   */
  public <T> T onKernel(Callable<T> task, boolean reconcileAfter, Duration timeout)
      throws InterruptedException, ExecutionException, TimeoutException {
    long deadline = System.nanoTime() + timeout.toNanos();
    Future<T> f = kernel.submit(task);
    T result;
    try {
      result = f.get(timeout.toNanos(), TimeUnit.NANOSECONDS);
    } catch (TimeoutException e) {
      f.cancel(false);
      throw e;
    }
    if (reconcileAfter) {
      awaitReconcileAfterCni(deadline);
    }
    return result;
  }

  private final Object cniReconcile = new Object();

  /** Tickets handed to CNI requests whose kernel work is done (guarded by cniReconcile). */
  private long cniTickets;

  /** The highest ticket a finished reconcile covers (guarded by cniReconcile). */
  private long cniCovered;

  /** Whether a reconcile for CNI requests is queued and not yet started (guarded). */
  private boolean cniQueued;

  private void awaitReconcileAfterCni(long deadline) throws InterruptedException, TimeoutException {
    synchronized (cniReconcile) {
      long ticket = ++cniTickets;
      if (!cniQueued) {
        cniQueued = true;
        try {
          kernel.execute(this::reconcileForCni);
        } catch (java.util.concurrent.RejectedExecutionException e) {
          cniQueued = false;
          throw e;
        }
      }
      while (cniCovered < ticket) {
        long left = deadline - System.nanoTime();
        if (left <= 0) {
          throw new TimeoutException("no reconcile finished in time");
        }
        TimeUnit.NANOSECONDS.timedWait(cniReconcile, left);
      }
    }
  }

  /** On the kernel thread: one full reconcile for every CNI request ticketed before it began. */
  private void reconcileForCni() {
    long covers;
    synchronized (cniReconcile) {
      cniQueued = false;
      covers = cniTickets;
    }
    try {
      reconcileNow("after CNI");
    } finally {
      synchronized (cniReconcile) {
        cniCovered = Math.max(cniCovered, covers);
        cniReconcile.notifyAll();
      }
    }
  }

  /**
   * Waits until something changes (a render, a reconcile) or {@code max} passes.
   *
   * @return the generation of changes now, to pass to the next call
   */
  public long awaitChange(long seen, Duration max) throws InterruptedException {
    long deadline = System.nanoTime() + max.toNanos();
    synchronized (changed) {
      while (generation == seen) {
        long left = deadline - System.nanoTime();
        if (left <= 0) {
          break;
        }
        TimeUnit.NANOSECONDS.timedWait(changed, left);
      }
      return generation;
    }
  }

  /** The current generation of changes, for {@link #awaitChange}. */
  public long generation() {
    synchronized (changed) {
      return generation;
    }
  }

  /**
   * Where pod {@code namespace/name}'s interface stands on this node; {@code podUid} (null or
   * blank: any) must be its virtual machine's UUID, so that a pod deleted and created again under
   * the same name is not wired with the old one's interface.
   */
  public PodLookup findPod(String namespace, String name, String podUid) {
    String node = options.node();
    if (!ready) {
      return new PodLookup(null, ErrorCodes.NOT_ALLOCATED, "the agent is not ready: " + notReady);
    }
    NodeState state = desired;
    List<Endpoint> matches = new ArrayList<>();
    List<String> otherUids = new ArrayList<>();
    compiler.read(
        v -> {
          for (Endpoint e : v.endpoints()) {
            if (e.namespace().equals(namespace) && e.pod().equals(name)) {
              UUID vm = machineOf(e.interfaceUuid());
              if (podUid != null
                  && !podUid.isBlank()
                  && (vm == null || !vm.toString().equalsIgnoreCase(podUid))) {
                otherUids.add(String.valueOf(vm));
              } else {
                matches.add(e);
              }
            }
          }
          return null;
        });
    if (matches.isEmpty()) {
      if (!otherUids.isEmpty()) {
        return new PodLookup(
            null,
            ErrorCodes.NOT_ALLOCATED,
            "Weft knows pod "
                + namespace
                + "/"
                + name
                + " only with UID "
                + String.join(", ", otherUids)
                + ", not "
                + podUid
                + " (the kube-manager has not yet processed the pod created again under this"
                + " name; is it running?)");
      }
      if (notReady != null) {
        return new PodLookup(null, ErrorCodes.NOT_ALLOCATED, notReady);
      }
      return new PodLookup(
          null,
          ErrorCodes.NOT_ALLOCATED,
          "Weft has no interface for it (is the kube-manager running, and does it manage"
              + " namespace "
              + namespace
              + "?)");
    }
    matches.sort(java.util.Comparator.comparing(e -> e.interfaceUuid().toString()));
    String elsewhere = null;
    boolean unplaced = false;
    boolean unaddressed = false;
    for (Endpoint e : matches) {
      if (e.node() == null) {
        unplaced = true;
      } else if (!e.node().equals(node)) {
        elsewhere = e.node();
      } else if (e.addresses().isEmpty()) {
        unaddressed = true;
      } else {
        PodInterface p = state == null ? null : state.pod(e.interfaceUuid());
        if (p != null) {
          return new PodLookup(p, 0, null);
        }
        if (notReady != null) {
          return new PodLookup(null, ErrorCodes.NOT_ALLOCATED, notReady);
        }
        return new PodLookup(
            null,
            ErrorCodes.NOT_ALLOCATED,
            "its interface "
                + e.interfaceUuid()
                + " is compiled but not yet rendered for this node (rendered revision "
                + renderedRevision
                + ")");
      }
    }
    if (unaddressed) {
      return new PodLookup(
          null,
          ErrorCodes.NOT_ALLOCATED,
          "Weft has not allocated an address yet (is the kube-manager running?)");
    }
    if (elsewhere != null) {
      return new PodLookup(null, ErrorCodes.OTHER_NODE, "the pod is bound to " + elsewhere);
    }
    return new PodLookup(
        null,
        ErrorCodes.NOT_ALLOCATED,
        "the pod is not bound to a node in Weft's store yet (unplaced: " + unplaced + ")");
  }

  /** The UUID of the virtual machine (the pod) of interface {@code vmi}; null when unknown. */
  private UUID machineOf(UUID vmi) {
    Optional<Stored<VirtualMachineInterface>> s =
        cache.get(ObjectType.VIRTUAL_MACHINE_INTERFACE, vmi);
    if (s.isEmpty() || s.get().object().virtualMachine() == null) {
      return null;
    }
    return s.get().object().virtualMachine().uuid();
  }

  public Status status() {
    // The compiler calls its listeners before it advances its revision: read the revision first,
    // and a revision whose changes were all counted before the last successful render is in the
    // kernel, even when nothing in it concerned this node.
    long compiled = compiler == null ? 0 : compiler.revision();
    long programmed = programmedRevision;
    if (failures == 0 && programmedChanges == changeCount.get()) {
      programmed = Math.max(programmed, compiled);
    }
    return new Status(
        options.node(),
        options.netns(),
        ready,
        notReady,
        startRevision,
        compiled,
        renderedRevision,
        programmed,
        desired,
        lastReconcile,
        lastReport,
        lastError,
        lastErrorAt,
        failures);
  }

  public Options options() {
    return options;
  }

  /** The config store this agent reads, as described for people. */
  public String storeDescription() {
    return store.describe();
  }

  /** The store's revision now (a read of the store). */
  public long storeRevision() {
    return store.revision();
  }

  /** Stops following the store and programming; the kernel is left exactly as it is. */
  @Override
  public void close() {
    closed = true;
    // Delayed and periodic work is dropped; a command running now finishes (killing `ip -batch`
    // half-way would leave a half-applied batch for the next agent to find).
    kernel.shutdown();
    try {
      if (!kernel.awaitTermination(30, TimeUnit.SECONDS)) {
        LOG.warn("node {}: kernel work did not stop within 30 s", options.node());
        kernel.shutdownNow();
      }
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
    }
    if (compiler != null) {
      compiler.close();
    }
    if (cache != null) {
      cache.close();
    }
    signal();
  }
}
