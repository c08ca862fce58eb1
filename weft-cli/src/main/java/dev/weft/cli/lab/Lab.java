package dev.weft.cli.lab;

import dev.weft.agent.ProcessShell;
import dev.weft.agent.Shell;
import dev.weft.api.config.ApiException;
import dev.weft.api.reach.Reachability;
import dev.weft.cni.Installer;
import dev.weft.control.Compiler;
import dev.weft.kube.embedded.PodSandboxes;
import io.fabric8.kubernetes.api.model.Node;
import io.fabric8.kubernetes.api.model.NodeAddress;
import io.fabric8.kubernetes.client.KubernetesClient;
import java.io.File;
import java.io.IOException;
import java.io.PrintStream;
import java.net.URISyntaxException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Clock;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HexFormat;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import java.util.concurrent.ThreadLocalRandom;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The local multi-node lab of {@code weft up --lab}: the embedded cluster's nodes made real on this
 * machine. An underlay namespace with a bridge; per node, a namespace with its InternalIP on eth0
 * (default route via the gateway) and a {@code weft agent} child process programming it; a gateway
 * namespace programmed as the gateway router, which is the outside host too; the CNI plugin
 * installed and run by the kubelet stand-in for every pod ({@link LabSandboxes}); {@code weft probe
 * --real} ({@link LabProbe}). Every name starts with a short random prefix ({@code w1a2b}), and
 * {@link #close} removes everything it made: processes first, then namespaces.
 *
 * <p>Lifecycle: {@link #create} before the Weft server starts (its {@link #sandboxes()} go to the
 * stand-ins, and hold every pod until the lab is up), {@link #start} once it runs.
 */
public final class Lab implements AutoCloseable {
  private static final Logger log = LoggerFactory.getLogger(Lab.class);
  private static final Duration AGENTS_READY = Duration.ofSeconds(90);

  private final Shell shell = new ProcessShell();
  private final Path dir;
  private final String store;
  private final LabNetwork network;
  private final LabSandboxes sandboxes;
  private final LabAgents agents = new LabAgents(this::recordAgent);
  private final Map<String, String> nodeAddresses = new TreeMap<>();
  private final List<String> made = new ArrayList<>();
  private LabGateway gateway;
  private PodChannel external;
  private Path cni;
  private volatile boolean closed;

  private Lab(Path dir, String store, String prefix) {
    this.dir = dir;
    this.store = store;
    this.network = new LabNetwork(prefix, shell);
    this.cni = dir.resolve("bin").resolve(Installer.EXECUTABLE);
    this.sandboxes = new LabSandboxes(network, null, cni, dir, Clock.systemUTC());
  }

  /**
   * What this machine lacks to run the lab (root, {@code ip}, {@code nft}), or null when it has
   * everything.
   */
  public static String missingRequirements() {
    List<String> missing = new ArrayList<>();
    if (!isRoot()) {
      missing.add("root (network namespaces, veths and nftables need CAP_NET_ADMIN)");
    }
    for (String tool : List.of("ip", "nft")) {
      if (!onPath(tool)) {
        missing.add(tool + (tool.equals("ip") ? " (iproute2)" : " (nftables)"));
      }
    }
    return missing.isEmpty() ? null : "the lab needs " + String.join(", ", missing);
  }

  private static boolean isRoot() {
    try {
      for (String line : Files.readAllLines(Path.of("/proc/self/status"))) {
        if (line.startsWith("Uid:")) {
          return line.split("\\s+")[1].equals("0");
        }
      }
    } catch (IOException e) {
      // not Linux
    }
    return false;
  }

  private static boolean onPath(String tool) {
    for (String d : System.getenv().getOrDefault("PATH", "").split(File.pathSeparator)) {
      if (new File(d, tool).canExecute()) {
        return true;
      }
    }
    return new File("/usr/sbin/" + tool).canExecute() || new File("/sbin/" + tool).canExecute();
  }

  /**
   * A lab in {@code dataDir/lab} for the Weft whose store is {@code store} (the URL its agents
   * open, read-only), with a fresh prefix. Nothing is made yet.
   *
   * @throws IllegalStateException when this machine cannot run it (see {@link
   *     #missingRequirements})
   */
  public static Lab create(Path dataDir, String store) throws IOException {
    String missing = missingRequirements();
    if (missing != null) {
      throw new IllegalStateException("--lab: " + missing);
    }
    Path dir = dataDir.toAbsolutePath().resolve("lab");
    Files.createDirectories(dir);
    removeStale(dir, new ProcessShell());
    String prefix = "w" + HexFormat.of().toHexDigits(ThreadLocalRandom.current().nextInt(), 4);
    Lab lab = new Lab(dir, store, prefix);
    lab.record("prefix " + prefix);
    return lab;
  }

  private static final String STATE = "running";

  /** Appends a line to the record of what is running, for {@link #removeStale}. */
  private void record(String line) throws IOException {
    Files.writeString(
        dir.resolve(STATE),
        line + "\n",
        java.nio.file.StandardOpenOption.CREATE,
        java.nio.file.StandardOpenOption.APPEND);
  }

  /**
   * Removes what a lab of this data directory left behind when its Weft was killed without a chance
   * to clean up (SIGKILL): its agents and its namespaces. Pod processes stop by themselves when
   * their Weft goes (their stdin closes).
   */
  private static void removeStale(Path dir, Shell shell) throws IOException {
    Path state = dir.resolve(STATE);
    if (!Files.exists(state)) {
      return;
    }
    String prefix = null;
    List<Long> pids = new ArrayList<>();
    for (String line : Files.readAllLines(state)) {
      String[] f = line.trim().split(" ");
      if (f.length == 2 && f[0].equals("prefix")) {
        prefix = f[1];
      } else if (f.length == 2 && f[0].equals("pid")) {
        pids.add(Long.parseLong(f[1]));
      }
    }
    if (prefix != null && prefix.matches("w[0-9a-f]{4}")) {
      String p = prefix;
      for (long pid : pids) {
        ProcessHandle.of(pid)
            .filter(h -> h.info().commandLine().orElse("").contains(p))
            .ifPresent(h -> Children.stop(h, Duration.ofSeconds(5)));
      }
      String listed =
          shell.run(List.of("ip", "netns", "list"), null, Duration.ofSeconds(10)).stdout();
      for (String line : listed.split("\n")) {
        String ns = line.trim().split(" ")[0];
        if (ns.startsWith(prefix + "-")) {
          shell
              .run(List.of("ip", "netns", "pids", ns), null, Duration.ofSeconds(10))
              .stdout()
              .lines()
              .map(String::trim)
              .filter(x -> x.matches("\\d+"))
              .forEach(
                  x ->
                      ProcessHandle.of(Long.parseLong(x))
                          .ifPresent(h -> Children.stop(h, Duration.ofSeconds(2))));
          shell.run(List.of("ip", "netns", "del", ns), null, Duration.ofSeconds(10));
        }
      }
      log.warn("lab: removed what the stopped lab {} had left behind", prefix);
    }
    Files.delete(state);
  }

  /** The prefix of every namespace and device this lab makes. */
  public String prefix() {
    return network.prefix();
  }

  /** The kubelet stand-in's sandboxes: every pod waits until {@link #start} has run. */
  public PodSandboxes sandboxes() {
    return sandboxes;
  }

  /**
   * Makes the nodes of the cluster {@code client} serves real (their names and InternalIPs from the
   * Node objects), installs the CNI plugin, starts the agents and the gateway, and serves {@code
   * weft probe --real} through {@code reachability}.
   */
  public void start(KubernetesClient client, Compiler compiler, Reachability reachability)
      throws IOException, InterruptedException {
    sandboxes.useClient(client);
    long started = System.nanoTime();
    for (Node n : client.nodes().list().getItems()) {
      String address = null;
      if (n.getStatus() != null && n.getStatus().getAddresses() != null) {
        for (NodeAddress a : n.getStatus().getAddresses()) {
          if ("InternalIP".equals(a.getType()) && a.getAddress().indexOf(':') < 0) {
            address = a.getAddress();
            break;
          }
        }
      }
      if (address == null) {
        throw new IllegalStateException(
            "node " + n.getMetadata().getName() + " has no IPv4 InternalIP to put on the underlay");
      }
      nodeAddresses.put(n.getMetadata().getName(), address);
    }
    if (nodeAddresses.isEmpty()) {
      throw new IllegalStateException("the cluster has no nodes to make real");
    }
    Map<String, Path> sockets = new LinkedHashMap<>();
    for (Map.Entry<String, String> e : nodeAddresses.entrySet()) {
      String ns = network.node(e.getKey(), e.getValue());
      made.add(
          "node "
              + e.getKey()
              + ": namespace "
              + ns
              + ", eth0 "
              + e.getValue()
              + "/24, default via "
              + LabGateway.address());
      sockets.put(e.getKey(), dir.resolve(prefix() + "-" + e.getKey() + ".sock"));
    }
    String gw = network.attached("gw", LabGateway.address(), LabGateway.prefixLength());
    made.add(
        "gateway: namespace "
            + gw
            + ", eth0 "
            + LabGateway.address()
            + "/"
            + LabGateway.prefixLength()
            + ", lo "
            + LabGateway.client()
            + "/32 (the outside host: where --from external connects from)");
    made.add("underlay: namespace " + network.underlay() + ", bridge " + prefix() + "-br");
    installCni();
    for (Map.Entry<String, Path> e : sockets.entrySet()) {
      Files.deleteIfExists(e.getValue());
      LabAgents.Agent a =
          agents.start(
              e.getKey(),
              network.nodes().get(e.getKey()),
              store,
              e.getValue(),
              dir.resolve("agent-" + e.getKey() + ".log"));
      made.add(
          "agent of "
              + e.getKey()
              + ": pid "
              + a.process().pid()
              + ", CNI socket "
              + e.getValue()
              + ", introspection "
              + a.url()
              + ", log "
              + dir.resolve("agent-" + e.getKey() + ".log")
              + " (started again when it exits)");
    }
    gateway = new LabGateway(shell, gw, compiler);
    gateway.start();
    external = startExternal(gw);
    agents.awaitReady(AGENTS_READY);
    sandboxes.open(sockets);
    reachability.withRealProbe(
        new LabProbe(
            compiler,
            sandboxes,
            () -> external,
            (revision, timeout) -> {
              long deadline = System.nanoTime() + timeout.toNanos();
              agents.awaitProgrammed(revision, timeout);
              Duration left = Duration.ofNanos(Math.max(0, deadline - System.nanoTime()));
              if (!gateway.awaitProgrammed(revision, left)) {
                throw ApiException.unavailable(
                    "the lab's gateway has not programmed compiled revision " + revision + " yet");
              }
            },
            sctpSupport()));
    made.add(
        String.format(
            "lab %s up in %.1f s; pods get a namespace %s-p-NAMESPACE.NAME each",
            prefix(), (System.nanoTime() - started) / 1e9, prefix()));
  }

  /** Records the pid of every agent started, the restarted ones too, for {@link #removeStale}. */
  private void recordAgent(LabAgents.Agent a) {
    try {
      record("pid " + a.process().pid());
    } catch (IOException e) {
      log.warn("lab: could not record the agent pid {}: {}", a.process().pid(), e.getMessage());
    }
  }

  /** The network namespace of node {@code node}. */
  public String nodeNamespace(String node) {
    String ns = network.nodes().get(node);
    if (ns == null) {
      throw new IllegalArgumentException("the lab has no node " + node);
    }
    return ns;
  }

  /** The network namespace of pod {@code namespace/name}, or null while it has no sandbox. */
  public String podNamespace(String namespace, String name) {
    return sandboxes.netns(namespace + "/" + name);
  }

  /** The process id of the agent of {@code node} now (a restarted agent has a new one). */
  public long agentPid(String node) {
    return agents.agent(node).process().pid();
  }

  /** How many times the agent of {@code node} has been started: 1 until it is first restarted. */
  public int agentStarts(String node) {
    return agents.starts(node);
  }

  /** How often the agents read their node's kernel and repair it. */
  public Duration agentReconcileInterval() {
    return LabAgents.RECONCILE_INTERVAL;
  }

  /** The {@code /state.json} of the agent of {@code node} now, or null when it does not answer. */
  public com.fasterxml.jackson.databind.JsonNode agentState(String node)
      throws InterruptedException {
    return agents.state(agents.agent(node));
  }

  /**
   * Waits until the agent of {@code node} has been started at least {@code starts} times (see
   * {@link #agentStarts}) and is ready; returns its first {@code /state.json} seen ready.
   *
   * @throws IllegalStateException when it is not ready within {@code timeout}
   */
  public com.fasterxml.jackson.databind.JsonNode awaitAgentReady(
      String node, int starts, Duration timeout) throws InterruptedException {
    return agents.awaitReady(node, starts, timeout);
  }

  /** Null when the kernel has SCTP; else why the lab cannot measure it. */
  private static String sctpSupport() {
    // The pod process speaks TCP and UDP only (Java's SCTP needs libsctp as well as the kernel).
    return Files.exists(Path.of("/proc/net/sctp"))
        ? "the lab's pod processes do not speak SCTP (TCP and UDP only)"
        : "this kernel has no SCTP support (no sctp module loaded: /proc/net/sctp is missing)";
  }

  private void installCni() throws IOException {
    Path jar = cniJar();
    Path bin = cni.getParent();
    Installer.install(bin, jar, Children.java());
    made.add("CNI plugin: " + cni + " (" + jar + ")");
    // The archive only makes each ADD start faster: make it while the agents start.
    Thread t =
        new Thread(
            () -> {
              try {
                Installer.createArchive(bin, jar, Children.java());
              } catch (IOException | RuntimeException e) {
                log.info(
                    "lab: no CDS archive for the CNI plugin ({}); it starts slower",
                    e.getMessage());
              } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
              }
            },
            "lab-cni-archive");
    t.setDaemon(true);
    t.start();
  }

  /**
   * The plugin's class path: the system property {@code weft.cni.jar}; else, in a build (Weft run
   * from its classes folder), where the plugin's classes were loaded from; else {@code
   * weft-cni.jar} next to Weft's jar (the build copies it there), never Weft's whole jar.
   */
  static Path cniJar() throws IOException {
    String given = System.getProperty("weft.cni.jar");
    if (given != null) {
      return Path.of(given);
    }
    Path here = codeSource(Lab.class);
    Path plugin = codeSource(dev.weft.cni.Main.class);
    if (Files.isDirectory(here) && !plugin.equals(here)) {
      return plugin; // a build: the plugin as this build made it, never an older copy
    }
    Path beside = here.getParent().resolve("weft-cni.jar");
    if (Files.isRegularFile(beside)) {
      return beside;
    }
    if (!plugin.equals(here)) {
      return plugin;
    }
    throw new IOException(
        "no CNI plugin jar at "
            + beside
            + " (the weft-cli build copies it there; or give -Dweft.cni.jar=PATH)");
  }

  private static Path codeSource(Class<?> c) throws IOException {
    try {
      return Path.of(c.getProtectionDomain().getCodeSource().getLocation().toURI());
    } catch (URISyntaxException e) {
      throw new IOException(e);
    }
  }

  private PodChannel startExternal(String gw) throws IOException, InterruptedException {
    Process p =
        new ProcessBuilder(
                Children.javaCommand(
                    gw,
                    List.of("-XX:TieredStopAtLevel=1", "-XX:+UseSerialGC", "-Xmx32m", "-Xss256k"),
                    PodProcess.class.getName(),
                    List.of("external")))
            .redirectError(ProcessBuilder.Redirect.appendTo(dir.resolve("pods.log").toFile()))
            .start();
    PodChannel c = new PodChannel("external", p);
    if (!c.awaitReady(Duration.ofSeconds(30))) {
      throw new IllegalStateException("the gateway's probe process did not start");
    }
    return c;
  }

  /**
   * The last {@code lines} lines of each agent's log and of the pods' processes' log, for a person
   * (or a failing test) looking into why something did not happen.
   */
  public String logTails(int lines) {
    StringBuilder out = new StringBuilder();
    try (java.util.stream.Stream<Path> files = Files.list(dir)) {
      for (Path f :
          files.filter(f -> f.getFileName().toString().endsWith(".log")).sorted().toList()) {
        List<String> all = Files.readAllLines(f, java.nio.charset.StandardCharsets.UTF_8);
        out.append("--- ").append(f.getFileName()).append(" (last ").append(lines).append(")\n");
        for (String l : all.subList(Math.max(0, all.size() - lines), all.size())) {
          out.append(l).append('\n');
        }
      }
    } catch (IOException | java.io.UncheckedIOException e) {
      out.append("(logs unreadable: ").append(e.getMessage()).append(")\n");
    }
    return out.toString();
  }

  /** What the lab made, one line each, for {@code weft up} to print. */
  public void describe(PrintStream out) {
    for (String m : made) {
      out.println("  lab  " + m);
    }
  }

  /**
   * Stops every process the lab started (pods', agents', the gateway's), then deletes its
   * namespaces.
   */
  @Override
  public synchronized void close() {
    if (closed) {
      return;
    }
    closed = true;
    if (gateway != null) {
      gateway.close();
    }
    sandboxes.close();
    if (external != null) {
      external.close();
    }
    agents.close();
    network.close();
    try {
      Files.deleteIfExists(dir.resolve(STATE));
    } catch (IOException e) {
      log.warn("lab: could not remove {}: {}", dir.resolve(STATE), e.getMessage());
    }
    for (String ns : network.namespaces()) {
      log.warn("lab: namespace {} could not be deleted", ns);
    }
  }
}
