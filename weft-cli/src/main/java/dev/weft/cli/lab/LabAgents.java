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
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * One {@code weft agent} child process per lab node (this same Weft's JVM and class path, on the
 * same store), and the wait until they have programmed a compiled revision, read from their
 * introspection pages ({@code /state.json}).
 */
final class LabAgents implements AutoCloseable {
  private static final ObjectMapper JSON = new ObjectMapper();
  private static final List<String> AGENT_JVM =
      List.of("-XX:+UseSerialGC", "-Xmx192m", "-XX:TieredStopAtLevel=1", "-Xss512k");

  /** One running agent. */
  record Agent(String node, String netns, Path socket, int introspectPort, Process process) {
    String url() {
      return "http://127.0.0.1:" + introspectPort;
    }
  }

  private final Map<String, Agent> agents = new LinkedHashMap<>();
  private final HttpClient http =
      HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(2)).build();

  /** Starts the agent of {@code node} in namespace {@code netns}. */
  synchronized Agent start(String node, String netns, String store, Path socket, Path log)
      throws IOException {
    int port = freePort();
    List<String> args =
        List.of(
            "agent",
            "--node",
            node,
            "--store",
            store,
            "--netns",
            netns,
            "--cni-socket",
            socket.toString(),
            "--introspect",
            "127.0.0.1:" + port,
            "--reconcile-interval",
            "2s");
    Process p =
        Children.startLogged(Children.javaCommand(null, AGENT_JVM, "dev.weft.cli.Main", args), log);
    Agent a = new Agent(node, netns, socket, port, p);
    agents.put(node, a);
    return a;
  }

  synchronized List<Agent> all() {
    return new ArrayList<>(agents.values());
  }

  /** Waits until every agent serves its CNI socket and its node is programmed. */
  void awaitReady(Duration timeout) throws InterruptedException {
    long deadline = System.nanoTime() + timeout.toNanos();
    for (Agent a : all()) {
      while (true) {
        if (!a.process().isAlive()) {
          throw new IllegalStateException(
              "the agent of node " + a.node() + " exited with status " + a.process().exitValue());
        }
        JsonNode s = state(a);
        if (s != null
            && s.path("ready").asBoolean(false)
            && java.nio.file.Files.exists(a.socket())) {
          break;
        }
        if (System.nanoTime() > deadline) {
          throw new IllegalStateException(
              "the agent of node "
                  + a.node()
                  + " is not ready after "
                  + timeout.toSeconds()
                  + " s"
                  + (s == null ? "" : ": " + s.path("notReady").asText()));
        }
        Thread.sleep(100);
      }
    }
  }

  /**
   * Waits until every agent has programmed compiled revision {@code revision} into its node (its
   * {@code programmedRevision}, which also counts revisions that changed nothing on the node).
   */
  void awaitProgrammed(long revision, Duration timeout) throws InterruptedException {
    long deadline = System.nanoTime() + timeout.toNanos();
    for (Agent a : all()) {
      while (true) {
        JsonNode s = state(a);
        if (s != null && s.path("programmedRevision").asLong() >= revision) {
          break;
        }
        if (System.nanoTime() > deadline) {
          throw ApiException.unavailable(
              "the agent of node "
                  + a.node()
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

  @Override
  public synchronized void close() {
    all().parallelStream().forEach(a -> Children.stop(a.process(), Duration.ofSeconds(5)));
    agents.clear();
  }
}
