package dev.weft.cli;

import dev.weft.agent.Agent;
import dev.weft.agent.ProcessShell;
import dev.weft.agent.linux.NodeRenderer;
import dev.weft.agent.linux.ReconcileReport;
import dev.weft.agent.node.NodeAgent;
import dev.weft.store.ConfigStore;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Clock;
import java.time.Duration;
import java.time.format.DateTimeParseException;
import java.util.Locale;
import java.util.concurrent.Callable;
import java.util.concurrent.CountDownLatch;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import picocli.CommandLine;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

/**
 * {@code weft agent}: the node agent in the foreground until Ctrl-C, or {@code --teardown} to
 * remove what Weft owns from the node. Stopping the agent leaves the dataplane as it is.
 */
@Command(
    name = "agent",
    description =
        "Run the node agent in the foreground: program this node from the config store and serve"
            + " the CNI (Ctrl-C stops it and leaves the dataplane as it is).")
final class AgentCommand implements Callable<Integer> {
  @Option(
      names = "--node",
      required = true,
      paramLabel = "NAME",
      description = "This node's name (as Kubernetes names it)")
  String node;

  @Option(
      names = "--store",
      description =
          "Config store to read: sqlite:FILE (default: DATA_DIR/weft.db, shared with `weft up`) or"
              + " etcd://HOST:PORT[,HOST:PORT...][/NAMESPACE]")
  String store;

  @Option(
      names = "--data-dir",
      defaultValue = "weft-data",
      description = "Data directory of the default store (default: ${DEFAULT-VALUE})")
  Path dataDir;

  @Option(
      names = "--netns",
      paramLabel = "NS",
      description = "The network namespace that is the node (lab nodes); default: this process's")
  String netns;

  @Option(
      names = "--cni-socket",
      defaultValue = "/run/weft/cni.sock",
      paramLabel = "PATH",
      description = "The CNI endpoint's Unix socket (default: ${DEFAULT-VALUE})")
  Path cniSocket;

  @Option(
      names = "--introspect",
      defaultValue = "127.0.0.1:8085",
      paramLabel = "HOST:PORT",
      description =
          "Introspection page address (default: ${DEFAULT-VALUE}; port 0: any free one; `off`: none)")
  String introspect;

  @Option(
      names = "--reconcile-interval",
      defaultValue = "10s",
      paramLabel = "DURATION",
      converter = DurationConverter.class,
      description = "How often the kernel is read and repaired: 500ms, 10s, 1m (default: 10s)")
  Duration reconcileInterval;

  @Option(
      names = "--mtu",
      defaultValue = "" + NodeRenderer.DEFAULT_MTU,
      description = "MTU of pods' interfaces and VXLAN devices (default: ${DEFAULT-VALUE})")
  int mtu;

  @Option(
      names = "--exit-with-parent",
      description =
          "Stop (the dataplane left as it is) when the process that started the agent exits: for"
              + " supervisors such as `weft up --lab`, so that one killed leaves no agent behind")
  boolean exitWithParent;

  @Option(
      names = "--teardown",
      description = "Remove everything Weft owns from the node (pods lose their network) and exit")
  boolean teardown;

  @Override
  public Integer call() throws Exception {
    if (netns != null && !Files.exists(Path.of("/var/run/netns", netns))) {
      throw new IllegalArgumentException(
          "--netns " + netns + ": no such network namespace (see `ip netns list`)");
    }
    if (teardown) {
      ReconcileReport r = Agent.teardown(node, netns, new ProcessShell());
      System.out.println(
          "weft agent: node "
              + node
              + ": removed what Weft owned "
              + (r.changes().isEmpty() ? "(nothing)" : r.changes().toString()));
      return 0;
    }
    NodeAgent.Options options =
        NodeAgent.Options.of(node)
            .withNetns(netns)
            .withMtu(mtu)
            .withReconcileInterval(reconcileInterval);
    String introspectHost = null;
    int introspectPort = 0;
    if (!introspect.equals("off")) {
      ListenAddress a;
      try {
        a = ListenAddress.parse(introspect);
      } catch (IllegalArgumentException e) {
        throw new IllegalArgumentException(
            "--introspect " + introspect + ": expected HOST:PORT, such as 127.0.0.1:8085, or off");
      }
      introspectHost = a.host();
      introspectPort = a.port(8085, false);
    }
    long started = System.nanoTime();
    ConfigStore kv = openExisting();
    Agent agent;
    try {
      agent =
          Agent.start(
              kv,
              new ProcessShell(),
              new Agent.Config(options, cniSocket, introspectHost, introspectPort),
              Clock.systemUTC());
    } catch (Exception e) {
      kv.close();
      throw e;
    }
    CountDownLatch stopped = new CountDownLatch(1);
    Runtime.getRuntime()
        .addShutdownHook(
            new Thread(
                () -> {
                  System.out.println("weft agent: stopping (the dataplane is left as it is)");
                  agent.close();
                  kv.close();
                  stopped.countDown();
                },
                "weft-agent-shutdown"));
    System.out.printf(
        "weft agent: node %s%s in %.1f s%n"
            + "  store       %s (revision %d)%n"
            + "  CNI socket  %s%n"
            + "  introspect  %s%n"
            + "  reconcile   every %s; MTU %d%n",
        node,
        netns == null ? "" : " (network namespace " + netns + ")",
        (System.nanoTime() - started) / 1e9,
        kv.describe(),
        kv.revision(),
        agent.cniSocket(),
        agent.introspectionUrl() == null ? "off" : agent.introspectionUrl(),
        describe(reconcileInterval),
        mtu);
    System.out.println("weft agent: serving; Ctrl-C stops");
    System.out.flush();
    if (exitWithParent) {
      ProcessHandle parent = ProcessHandle.current().parent().orElse(null);
      if (parent == null || !parent.isAlive()) {
        System.out.println("weft agent: the process that started it is gone; stopping");
        System.exit(0);
      }
      parent
          .onExit()
          .thenRun(
              () -> {
                System.out.println(
                    "weft agent: the process that started it (pid "
                        + parent.pid()
                        + ") exited; stopping");
                System.exit(0); // the shutdown hook stops the agent
              });
    }
    stopped.await();
    return 0;
  }

  /**
   * The store to read. The agent only reads: a SQLite file that does not exist is an error (opening
   * it would create an empty store, and an agent on an empty store has nothing to program).
   */
  private ConfigStore openExisting() throws java.io.IOException {
    Path file = null;
    if (store == null || store.isBlank()) {
      file = dataDir.resolve("weft.db");
    } else if (store.startsWith("sqlite:")) {
      file = Path.of(store.substring("sqlite:".length()));
    }
    if (file != null && !Files.exists(file)) {
      throw new IllegalArgumentException(
          "no Weft store at "
              + file.toAbsolutePath()
              + ": start `weft up` (with the same --data-dir) first, or give --store");
    }
    return StoreFactory.open(store, dataDir);
  }

  private static final Pattern DURATION = Pattern.compile("(\\d+)(ms|s|m|h)");

  /**
   * {@code 500ms}, {@code 10s}, {@code 2m}, {@code 1h}, or ISO-8601 ({@code PT10S}); positive.
   *
   * @throws IllegalArgumentException saying what is expected
   */
  static Duration parseDuration(String text) {
    String t = text.strip().toLowerCase(Locale.ROOT);
    Duration d = null;
    Matcher m = DURATION.matcher(t);
    if (m.matches()) {
      long n = Long.parseLong(m.group(1));
      d =
          switch (m.group(2)) {
            case "ms" -> Duration.ofMillis(n);
            case "s" -> Duration.ofSeconds(n);
            case "m" -> Duration.ofMinutes(n);
            default -> Duration.ofHours(n);
          };
    } else if (t.startsWith("pt")) {
      try {
        d = Duration.parse(text.strip());
      } catch (DateTimeParseException e) {
        d = null;
      }
    }
    if (d == null || d.isZero() || d.isNegative()) {
      throw new IllegalArgumentException(
          "\"" + text + "\": expected a positive duration such as 500ms, 10s, 2m, 1h or PT10S");
    }
    return d;
  }

  private static String describe(Duration d) {
    return d.toMillis() % 1000 == 0 ? d.toSeconds() + " s" : d.toMillis() + " ms";
  }

  /** picocli's converter for {@link #parseDuration}. */
  static final class DurationConverter implements CommandLine.ITypeConverter<Duration> {
    @Override
    public Duration convert(String value) {
      try {
        return parseDuration(value);
      } catch (IllegalArgumentException e) {
        throw new CommandLine.TypeConversionException(e.getMessage());
      }
    }
  }
}
