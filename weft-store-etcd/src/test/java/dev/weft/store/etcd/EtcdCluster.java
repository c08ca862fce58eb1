package dev.weft.store.etcd;

import static org.awaitility.Awaitility.await;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.net.ServerSocket;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import java.util.Optional;
import java.util.Set;
import java.util.UUID;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.TimeUnit;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import java.util.stream.Collectors;
import java.util.stream.IntStream;
import java.util.stream.Stream;
import org.junit.jupiter.api.Assumptions;

/**
 * Real etcd members for tests, started from the {@code etcd} binary (Debian's etcd-server) on
 * loopback ports picked free, each with a temporary data directory; killed, restarted and removed
 * by the test. Members are numbered from 0.
 *
 * <p>Without an etcd binary, {@link #start} skips the test (a JUnit assumption) with a message
 * saying how to install it; under CI ({@code CI=true}), where {@code .ci/run} installs it, it fails
 * instead, so that a broken install cannot pass as skipped tests.
 */
public final class EtcdCluster implements AutoCloseable {
  private static final Duration START_TIMEOUT = Duration.ofSeconds(30);
  private static final Set<Process> LIVE = ConcurrentHashMap.newKeySet();

  static {
    // A test JVM that is stopped must not leave etcd processes behind.
    Runtime.getRuntime()
        .addShutdownHook(new Thread(() -> LIVE.forEach(Process::destroyForcibly), "etcd-reaper"));
  }

  private final Path binary;
  private final Path root;
  private final List<Member> members;
  private final HttpClient http =
      HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(1)).build();

  private EtcdCluster(Path binary, Path root, List<Member> members) {
    this.binary = binary;
    this.root = root;
    this.members = members;
  }

  /** The etcd binary: {@code -Dweft.etcd.binary}, {@code $WEFT_ETCD}, or {@code etcd} on PATH. */
  public static Optional<Path> binary() {
    String configured = System.getProperty("weft.etcd.binary", System.getenv("WEFT_ETCD"));
    if (configured != null && !configured.isBlank()) {
      return Optional.of(Path.of(configured)).filter(Files::isExecutable);
    }
    String path = System.getenv().getOrDefault("PATH", "") + ":/usr/bin:/usr/local/bin";
    return Stream.of(path.split(":"))
        .filter(d -> !d.isBlank())
        .map(d -> Path.of(d, "etcd"))
        .filter(Files::isExecutable)
        .findFirst();
  }

  /** Why there is no etcd to test against, or empty when there is one. */
  public static Optional<String> missing() {
    if (binary().isPresent()) {
      return Optional.empty();
    }
    return Optional.of(
        "etcd is not installed (apt-get install etcd-server, or set -Dweft.etcd.binary=PATH)");
  }

  /** True under CI, where a missing etcd is a broken install rather than a reason to skip. */
  public static boolean mustHaveEtcd() {
    return "true".equalsIgnoreCase(System.getenv("CI"));
  }

  /** The binary, or the test is skipped (failed under CI) with a message saying why. */
  public static Path requireBinary() {
    Optional<String> missing = missing();
    if (missing.isPresent()) {
      if (mustHaveEtcd()) {
        throw new AssertionError(missing.get() + "; CI must install it (.ci/run)");
      }
      Assumptions.abort(missing.get() + ": skipping the tests against a real etcd");
    }
    return binary().orElseThrow();
  }

  /** Starts {@code size} members as one new cluster and waits until every one is healthy. */
  public static EtcdCluster start(int size) {
    Path binary = requireBinary();
    IOException last = null;
    // A port picked free can be taken by someone else before etcd binds it: try new ports.
    for (int attempt = 1; attempt <= 3; attempt++) {
      Path root;
      try {
        root = Files.createTempDirectory(scratch(), "weft-etcd-");
      } catch (IOException e) {
        throw new UncheckedIOException(e);
      }
      EtcdCluster cluster = new EtcdCluster(binary, root, members(size, root));
      try {
        cluster.members.forEach(cluster::launch);
        for (int i = 0; i < size; i++) {
          cluster.awaitHealthy(i);
        }
        return cluster;
      } catch (MemberExited e) {
        last = new IOException(e.getMessage());
        cluster.close();
      } catch (RuntimeException | Error e) {
        cluster.close();
        throw e;
      }
    }
    throw new UncheckedIOException("etcd did not start", last);
  }

  /** Client endpoints ({@code 127.0.0.1:port}) of every member, in member order. */
  public List<String> endpoints() {
    return members.stream().map(Member::endpoint).toList();
  }

  /** Every member's endpoint, starting with member {@code first} and going round. */
  public List<String> endpointsFrom(int first) {
    List<String> all = endpoints();
    return IntStream.range(0, all.size()).mapToObj(i -> all.get((first + i) % all.size())).toList();
  }

  public String endpoint(int member) {
    return members.get(member).endpoint();
  }

  public int size() {
    return members.size();
  }

  /** The member that is the Raft leader, as the members that answer say. */
  public int leader() {
    Pattern leader = Pattern.compile("\"leader\"\\s*:\\s*\"?(\\d+)");
    Pattern self = Pattern.compile("\"member_id\"\\s*:\\s*\"?(\\d+)");
    String leaderId = null;
    List<String> ids = new ArrayList<>();
    for (Member m : members) {
      String status = m.process == null ? null : post(m, "/v3/maintenance/status", "{}");
      Matcher lm = status == null ? null : leader.matcher(status);
      Matcher sm = status == null ? null : self.matcher(status);
      if (lm != null && lm.find() && sm.find()) {
        leaderId = lm.group(1);
        ids.add(sm.group(1));
      } else {
        ids.add(null);
      }
    }
    if (leaderId == null || !ids.contains(leaderId)) {
      throw new IllegalStateException("no leader among the running members: " + ids);
    }
    return ids.indexOf(leaderId);
  }

  /** Waits until there is a leader and returns it. */
  public int awaitLeader() {
    return await()
        .atMost(START_TIMEOUT)
        .pollInterval(Duration.ofMillis(50))
        .ignoreExceptions()
        .until(this::leader, l -> l >= 0);
  }

  /** kill -9 of one member. */
  public void kill(int member) {
    Member m = members.get(member);
    Process p = m.process;
    if (p == null) {
      return;
    }
    p.destroyForcibly();
    try {
      if (!p.waitFor(10, TimeUnit.SECONDS)) {
        throw new IllegalStateException(m.name + " did not die within 10 s of SIGKILL");
      }
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      throw new IllegalStateException(e);
    }
    LIVE.remove(p);
    m.process = null;
  }

  /** Starts a stopped member again on its data directory and ports, and waits for its health. */
  public void restart(int member) {
    Member m = members.get(member);
    if (m.process != null) {
      throw new IllegalStateException(m.name + " is running");
    }
    launch(m);
    awaitHealthy(member);
  }

  /** Waits until the member answers {@code /health} with true (it has a leader, no alarm). */
  public void awaitHealthy(int member) {
    Member m = members.get(member);
    await()
        .atMost(START_TIMEOUT)
        .pollInterval(Duration.ofMillis(50))
        .until(
            () -> {
              if (m.process == null || !m.process.isAlive()) {
                throw new MemberExited(
                    m.name + " exited while starting; its log ends with:\n" + m.logTail());
              }
              String health = get(m, "/health");
              return health != null && health.contains("\"health\":\"true\"");
            });
  }

  /** Kills every member and removes their data. */
  @Override
  public void close() {
    for (int i = 0; i < members.size(); i++) {
      kill(i);
    }
    try (Stream<Path> files = Files.walk(root)) {
      for (Path p : files.sorted(Comparator.reverseOrder()).toList()) {
        Files.deleteIfExists(p);
      }
    } catch (IOException e) {
      System.err.println("could not remove " + root + ": " + e);
    }
  }

  private void launch(Member m) {
    String cluster =
        members.stream()
            .map(x -> x.name + "=http://127.0.0.1:" + x.peerPort)
            .collect(Collectors.joining(","));
    List<String> command =
        List.of(
            binary.toString(),
            "--name=" + m.name,
            "--data-dir=" + m.dataDir,
            "--listen-client-urls=http://127.0.0.1:" + m.clientPort,
            "--advertise-client-urls=http://127.0.0.1:" + m.clientPort,
            "--listen-peer-urls=http://127.0.0.1:" + m.peerPort,
            "--initial-advertise-peer-urls=http://127.0.0.1:" + m.peerPort,
            "--initial-cluster=" + cluster,
            "--initial-cluster-state=new",
            "--initial-cluster-token=" + token,
            "--logger=zap",
            "--log-outputs=stderr");
    try {
      m.process =
          new ProcessBuilder(command)
              .redirectErrorStream(true)
              .redirectOutput(ProcessBuilder.Redirect.appendTo(m.log.toFile()))
              .start();
    } catch (IOException e) {
      throw new UncheckedIOException("could not start " + binary, e);
    }
    LIVE.add(m.process);
  }

  private final String token = "weft-test-" + UUID.randomUUID();

  private String get(Member m, String path) {
    return send(m, HttpRequest.newBuilder(url(m, path)).GET());
  }

  private String post(Member m, String path, String body) {
    return send(
        m, HttpRequest.newBuilder(url(m, path)).POST(HttpRequest.BodyPublishers.ofString(body)));
  }

  private String send(Member m, HttpRequest.Builder request) {
    try {
      HttpResponse<String> r =
          http.send(
              request.timeout(Duration.ofSeconds(2)).build(),
              HttpResponse.BodyHandlers.ofString(StandardCharsets.UTF_8));
      return r.statusCode() == 200 ? r.body() : null;
    } catch (IOException e) {
      return null;
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      return null;
    }
  }

  private static URI url(Member m, String path) {
    return URI.create("http://" + m.endpoint() + path);
  }

  private static List<Member> members(int size, Path root) {
    List<Integer> ports = freePorts(2 * size);
    List<Member> out = new ArrayList<>();
    for (int i = 0; i < size; i++) {
      out.add(new Member("m" + i, ports.get(2 * i), ports.get(2 * i + 1), root));
    }
    return out;
  }

  private static List<Integer> freePorts(int n) {
    List<ServerSocket> sockets = new ArrayList<>();
    try {
      for (int i = 0; i < n; i++) {
        ServerSocket s = new ServerSocket(0, 1, java.net.InetAddress.getLoopbackAddress());
        sockets.add(s);
      }
      return sockets.stream().map(ServerSocket::getLocalPort).toList();
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    } finally {
      for (ServerSocket s : sockets) {
        try {
          s.close();
        } catch (IOException ignored) {
          // Closing a listening socket that was never used cannot lose anything.
        }
      }
    }
  }

  /**
   * {@code -Dweft.etcd.scratch=DIR}, else tmpfs when there is a roomy one, so that etcd's fsyncs do
   * not make the tests crawl (etcd preallocates 64 MiB of WAL per member).
   */
  private static Path scratch() {
    String configured = System.getProperty("weft.etcd.scratch");
    if (configured != null && !configured.isBlank()) {
      return Path.of(configured);
    }
    Path shm = Path.of("/dev/shm");
    try {
      if (Files.isDirectory(shm)
          && Files.isWritable(shm)
          && Files.getFileStore(shm).getUsableSpace() > 2L * 1024 * 1024 * 1024) {
        return shm;
      }
    } catch (IOException e) {
      // Fall back to the temporary directory.
    }
    return Path.of(System.getProperty("java.io.tmpdir"));
  }

  /** One member: its name, ports, data directory and, while it runs, its process. */
  private static final class Member {
    final String name;
    final int clientPort;
    final int peerPort;
    final Path dataDir;
    final Path log;
    volatile Process process;

    Member(String name, int clientPort, int peerPort, Path root) {
      this.name = name;
      this.clientPort = clientPort;
      this.peerPort = peerPort;
      this.dataDir = root.resolve(name);
      this.log = root.resolve(name + ".log");
    }

    String endpoint() {
      return "127.0.0.1:" + clientPort;
    }

    String logTail() {
      try {
        List<String> lines = Files.readAllLines(log, StandardCharsets.UTF_8);
        return String.join("\n", lines.subList(Math.max(0, lines.size() - 20), lines.size()));
      } catch (IOException e) {
        return "(no log: " + e + ")";
      }
    }
  }

  /** A member died while starting, most likely because its port was taken meanwhile. */
  private static final class MemberExited extends RuntimeException {
    private static final long serialVersionUID = 1L;

    MemberExited(String message) {
      super(message);
    }
  }
}
