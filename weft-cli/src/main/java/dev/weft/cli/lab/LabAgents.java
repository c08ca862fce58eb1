package dev.weft.cli.lab;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.weft.api.config.ApiException;
import java.io.IOException;
import java.net.ServerSocket;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.Executors;
import java.util.concurrent.RejectedExecutionException;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;
import java.util.function.Consumer;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * One {@code weft agent} child process per lab node (this same Weft's JVM and class path, on the
 * same store), supervised as kubelet or a service manager would: an agent that exits is started
 * again with the same arguments (its log appended to), after a backoff that doubles from {@link
 * #FIRST_BACKOFF} to {@link #MAX_BACKOFF} and starts over once an agent has run for {@link
 * #RESET_AFTER}. Also the waits until the agents are ready and have programmed a compiled revision,
 * read from their introspection pages ({@code /state.json}).
 *
 * <p>Thread safety: every method may be called from any thread. {@link #close} stops the agents and
 * restarts nothing afterwards, whatever exits meanwhile.
 */
final class LabAgents implements AutoCloseable {
  private static final Path SETSID = Path.of("/usr/bin/setsid");

  private static final Logger log = LoggerFactory.getLogger(LabAgents.class);
  private static final ObjectMapper JSON = new ObjectMapper();
  private static final List<String> AGENT_JVM =
      List.of("-XX:+UseSerialGC", "-Xmx192m", "-XX:TieredStopAtLevel=1", "-Xss512k");

  /** How often the lab's agents read their node's kernel and repair it. */
  static final Duration RECONCILE_INTERVAL = Duration.ofSeconds(2);

  static final Duration FIRST_BACKOFF = Duration.ofMillis(500);
  static final Duration MAX_BACKOFF = Duration.ofSeconds(10);
  static final Duration RESET_AFTER = Duration.ofSeconds(30);

  /**
   * An agent that failed to start this many times in a row while the lab waits for it to be ready
   * fails the lab's start: it is broken, not unlucky.
   */
  private static final int START_FAILURES = 3;

  /** One running agent process (a restarted agent is a new one, on a new introspection port). */
  record Agent(
      String node, String netns, Path socket, Path log, int introspectPort, Process process) {
    String url() {
      return "http://127.0.0.1:" + introspectPort;
    }
  }

  /** What supervision knows of one node's agent; guarded by the {@link LabAgents} monitor. */
  private static final class Supervised {
    final String node;
    final String netns;
    final String store;
    final Path socket;
    final Path log;
    Agent current;
    long startedAt; // System.nanoTime() of the current process's start
    int starts;
    int exitsInARow; // exits of agents that had run less than RESET_AFTER
    Duration backoff = FIRST_BACKOFF;
    String lastExit; // why the last agent stopped, or null

    Supervised(String node, String netns, String store, Path socket, Path log) {
      this.node = node;
      this.netns = netns;
      this.store = store;
      this.socket = socket;
      this.log = log;
    }
  }

  private final Map<String, Supervised> agents = new LinkedHashMap<>();
  private final ScheduledExecutorService supervisor;
  private final Consumer<Agent> onStart;
  private final HttpClient http =
      HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(2)).build();
  private boolean closed;

  /**
   * @param onStart told of every agent process started, the first and every restart (the lab
   *     records its pid); called with this object's lock held, so it must not call back
   */
  LabAgents(Consumer<Agent> onStart) {
    this.onStart = onStart;
    this.supervisor =
        Executors.newSingleThreadScheduledExecutor(
            r -> {
              Thread t = new Thread(r, "lab-agent-supervisor");
              t.setDaemon(true);
              return t;
            });
  }

  /** Starts the agent of {@code node} in namespace {@code netns}, and supervises it. */
  synchronized Agent start(String node, String netns, String store, Path socket, Path log)
      throws IOException {
    if (closed) {
      throw new IllegalStateException("the lab's agents are stopped");
    }
    Supervised s = new Supervised(node, netns, store, socket, log);
    agents.put(node, s);
    return launch(s);
  }

  /** Starts {@code s}'s agent process; with this object's lock held. */
  private Agent launch(Supervised s) throws IOException {
    int port = freePort();
    List<String> args =
        List.of(
            "agent",
            "--node",
            s.node,
            "--store",
            s.store,
            "--netns",
            s.netns,
            "--cni-socket",
            s.socket.toString(),
            "--introspect",
            "127.0.0.1:" + port,
            "--reconcile-interval",
            RECONCILE_INTERVAL.toMillis() + "ms",
            // A `weft up --lab` killed with SIGKILL leaves no agent running.
            "--exit-with-parent");
    List<String> argv = new ArrayList<>();
    if (Files.isExecutable(SETSID)) {
      // A session of its own: Ctrl-C in the terminal of `weft up` reaches Weft, which stops the
      // agents in order, not the agents first (which the supervisor would take for crashes).
      argv.add(SETSID.toString());
    }
    argv.addAll(Children.javaCommand(null, AGENT_JVM, "dev.weft.cli.Main", args));
    Process p = Children.startLogged(argv, s.log);
    Agent a = new Agent(s.node, s.netns, s.socket, s.log, port, p);
    s.current = a;
    s.startedAt = System.nanoTime();
    s.starts++;
    onStart.accept(a);
    // Off the JDK's process reaper thread, which must not block on this object's lock.
    p.onExit().thenRunAsync(() -> exited(s, p), this::supervise);
    return a;
  }

  private void supervise(Runnable r) {
    try {
      supervisor.execute(r);
    } catch (RejectedExecutionException e) {
      // closed: nothing is restarted any more
    }
  }

  private synchronized void exited(Supervised s, Process p) {
    if (closed || s.current == null || s.current.process() != p) {
      return; // stopped by close(), or an older process
    }
    boolean ranLong =
        System.nanoTime() - s.startedAt >= RESET_AFTER.toNanos(); // a crash, not a crash loop
    if (ranLong) {
      s.backoff = FIRST_BACKOFF;
      s.exitsInARow = 0;
    }
    s.exitsInARow++;
    Duration delay = nextDelay(s);
    s.lastExit = "exited with status " + p.exitValue();
    log.warn(
        "lab: agent of {} (pid {}) exited with status {}; restarting in {} ms (see {})",
        s.node,
        p.pid(),
        p.exitValue(),
        delay.toMillis(),
        s.log);
    try {
      supervisor.schedule(() -> restart(s), delay.toMillis(), TimeUnit.MILLISECONDS);
    } catch (RejectedExecutionException e) {
      // closing
    }
  }

  /** The delay before {@code s}'s next start, doubling the one after it up to the maximum. */
  private static Duration nextDelay(Supervised s) {
    Duration delay = s.backoff;
    Duration doubled = delay.multipliedBy(2);
    s.backoff = doubled.compareTo(MAX_BACKOFF) > 0 ? MAX_BACKOFF : doubled;
    return delay;
  }

  private synchronized void restart(Supervised s) {
    if (closed) {
      return;
    }
    try {
      Agent a = launch(s);
      log.warn(
          "lab: agent of {} restarted: pid {}, introspection {} (start {})",
          s.node,
          a.process().pid(),
          a.url(),
          s.starts);
    } catch (IOException | RuntimeException e) {
      s.exitsInARow++;
      s.lastExit = "could not be started again: " + e.getMessage();
      Duration delay = nextDelay(s);
      log.warn(
          "lab: agent of {} could not be started again ({}); trying in {} ms",
          s.node,
          e.getMessage(),
          delay.toMillis());
      try {
        supervisor.schedule(() -> restart(s), delay.toMillis(), TimeUnit.MILLISECONDS);
      } catch (RejectedExecutionException closing) {
        // closed meanwhile
      }
    }
  }

  /** The current agents, one per node. */
  synchronized List<Agent> all() {
    List<Agent> out = new ArrayList<>();
    for (Supervised s : agents.values()) {
      out.add(s.current);
    }
    return out;
  }

  /** The current agent of {@code node}. */
  synchronized Agent agent(String node) {
    Supervised s = agents.get(node);
    if (s == null) {
      throw new IllegalArgumentException(
          "the lab has no node " + node + "; it has " + agents.keySet());
    }
    return s.current;
  }

  /** How many times the agent of {@code node} was started (1 until it is first restarted). */
  synchronized int starts(String node) {
    agent(node);
    return agents.get(node).starts;
  }

  /** Waits until every agent serves its CNI socket and its node is programmed. */
  void awaitReady(Duration timeout) throws InterruptedException {
    long deadline = System.nanoTime() + timeout.toNanos();
    for (String node : nodes()) {
      awaitReady(node, 1, deadline, true);
    }
  }

  /**
   * Waits until the agent of {@code node} has been started at least {@code starts} times and the
   * current one is ready (it has reconciled its node once and serves the CNI); returns that agent's
   * first {@code /state.json} seen ready, whose {@code lastReport} is usually its start-up
   * reconcile's (an update or timer reconcile may have come first).
   */
  JsonNode awaitReady(String node, int starts, Duration timeout) throws InterruptedException {
    return awaitReady(node, starts, System.nanoTime() + timeout.toNanos(), false);
  }

  private JsonNode awaitReady(String node, int starts, long deadline, boolean failOnCrashLoop)
      throws InterruptedException {
    while (true) {
      Agent a;
      String lastExit;
      int inARow;
      synchronized (this) {
        a = agent(node);
        Supervised s = agents.get(node);
        lastExit = s.lastExit;
        inARow = s.exitsInARow;
        if (s.starts < starts || !a.process().isAlive()) {
          a = null;
        }
      }
      if (failOnCrashLoop && inARow >= START_FAILURES) {
        throw new IllegalStateException(
            "the agent of node " + node + " " + lastExit + ", " + inARow + " times in a row");
      }
      JsonNode s = a == null ? null : state(a);
      if (s != null && s.path("ready").asBoolean(false) && java.nio.file.Files.exists(a.socket())) {
        return s;
      }
      if (System.nanoTime() > deadline) {
        throw new IllegalStateException(
            "the agent of node "
                + node
                + " is not ready in time"
                + (s == null ? "" : ": " + s.path("notReady").asText())
                + (lastExit == null ? "" : " (the last one " + lastExit + ")"));
      }
      Thread.sleep(20);
    }
  }

  private synchronized List<String> nodes() {
    return new ArrayList<>(agents.keySet());
  }

  /**
   * Waits until every agent has programmed compiled revision {@code revision} into its node (its
   * {@code programmedRevision}, which also counts revisions that changed nothing on the node). An
   * agent restarted meanwhile is asked again on its new introspection port.
   */
  void awaitProgrammed(long revision, Duration timeout) throws InterruptedException {
    long deadline = System.nanoTime() + timeout.toNanos();
    for (String node : nodes()) {
      while (true) {
        JsonNode s = state(agent(node));
        if (s != null && s.path("programmedRevision").asLong() >= revision) {
          break;
        }
        if (System.nanoTime() > deadline) {
          throw ApiException.unavailable(
              "the agent of node "
                  + node
                  + " has not programmed compiled revision "
                  + revision
                  + " yet"
                  + (s == null
                      ? " (its introspection does not answer)"
                      : ": it holds "
                          + s.path("programmedRevision").asLong()
                          + (s.path("lastError").isNull()
                              ? ""
                              : ", last error: " + s.path("lastError").asText())));
        }
        Thread.sleep(20);
      }
    }
  }

  /** The agent's {@code /state.json}, or null when it does not answer. */
  JsonNode state(Agent a) throws InterruptedException {
    try {
      HttpResponse<String> r =
          http.send(
              HttpRequest.newBuilder(URI.create(a.url() + "/state.json"))
                  .timeout(Duration.ofSeconds(5))
                  .build(),
              HttpResponse.BodyHandlers.ofString());
      return r.statusCode() == 200 ? JSON.readTree(r.body()) : null;
    } catch (IOException e) {
      return null;
    }
  }

  private static int freePort() throws IOException {
    try (ServerSocket s = new ServerSocket(0, 1, java.net.InetAddress.getLoopbackAddress())) {
      return s.getLocalPort();
    }
  }

  /** Stops every agent; nothing is restarted afterwards. Idempotent. */
  @Override
  public void close() {
    List<Agent> running;
    synchronized (this) {
      // Under the lock: an exit seen or a restart due from now on finds the lab closed.
      closed = true;
      running = all();
      agents.clear();
    }
    supervisor.shutdownNow();
    running.parallelStream().forEach(a -> Children.stop(a.process(), Duration.ofSeconds(5)));
  }
}
