package dev.weft.kube.embedded;

import io.fabric8.kubernetes.client.Config;
import io.fabric8.kubernetes.client.KubernetesClient;
import io.fabric8.kubernetes.client.KubernetesClientBuilder;
import io.fabric8.kubernetes.client.server.mock.KubernetesMockServer;
import io.fabric8.mockwebserver.Context;
import io.fabric8.mockwebserver.MockWebServer;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.net.InetAddress;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.util.HashMap;

/**
 * An in-process Kubernetes API (the fabric8 mock server in CRUD mode) on loopback, with a
 * kubeconfig for it written to the data directory so {@code weft apply}, kubectl-style tools and
 * any fabric8 client can use it.
 */
public final class EmbeddedKubernetes implements AutoCloseable {
  // The mock server logs every request through java.util.logging at INFO. Held strongly: JUL
  // keeps loggers weakly, and a collected logger would forget its level.
  private static final java.util.logging.Logger MOCK_LOG =
      java.util.logging.Logger.getLogger("io.fabric8.mockwebserver");

  static {
    MOCK_LOG.setLevel(java.util.logging.Level.WARNING);
  }

  private final KubernetesMockServer server;
  private final Path kubeconfig;

  private EmbeddedKubernetes(KubernetesMockServer server, Path kubeconfig) {
    this.server = server;
    this.kubeconfig = kubeconfig;
  }

  /**
   * Starts the API on 127.0.0.1:{@code port} (0 picks a free port) and writes {@code
   * dataDir/kubeconfig} (no file when {@code dataDir} is null).
   */
  public static EmbeddedKubernetes start(int port, Path dataDir) {
    KubernetesMockServer server =
        new KubernetesMockServer(
            new Context(),
            new MockWebServer(),
            new HashMap<>(),
            new IndexedCrudDispatcher(),
            false);
    try {
      server.init(InetAddress.getLoopbackAddress(), port);
    } catch (RuntimeException e) {
      throw new IllegalStateException(
          "cannot start the embedded Kubernetes API on 127.0.0.1:" + port + ": " + e.getMessage(),
          e);
    }
    Path file = null;
    if (dataDir != null) {
      file = dataDir.resolve("kubeconfig");
      writeAtomically(file, kubeconfig(server.getHostName(), server.getPort()));
    }
    return new EmbeddedKubernetes(server, file);
  }

  static String kubeconfig(String host, int port) {
    return """
        apiVersion: v1
        kind: Config
        clusters:
        - name: weft-embedded
          cluster:
            server: http://%s:%d
        contexts:
        - name: weft-embedded
          context:
            cluster: weft-embedded
            user: weft
            namespace: default
        current-context: weft-embedded
        users:
        - name: weft
          user:
            token: weft-embedded
        """
        .formatted(host, port);
  }

  private static void writeAtomically(Path file, String content) {
    try {
      Files.createDirectories(file.getParent());
      Path tmp = file.resolveSibling(file.getFileName() + ".tmp");
      Files.writeString(tmp, content, StandardCharsets.UTF_8);
      Files.move(tmp, file, StandardCopyOption.REPLACE_EXISTING, StandardCopyOption.ATOMIC_MOVE);
    } catch (IOException e) {
      throw new UncheckedIOException("cannot write kubeconfig " + file, e);
    }
  }

  /** A new client for this API; the caller closes it. */
  public KubernetesClient newClient() {
    Config config = Config.fromKubeconfig(kubeconfig(server.getHostName(), server.getPort()));
    config.setRequestTimeout(30_000);
    return new KubernetesClientBuilder().withConfig(config).build();
  }

  public String url() {
    return "http://" + server.getHostName() + ":" + server.getPort();
  }

  public int port() {
    return server.getPort();
  }

  /** The kubeconfig file, or null when none was written. */
  public Path kubeconfig() {
    return kubeconfig;
  }

  @Override
  public void close() {
    try {
      server.destroy();
    } catch (RuntimeException e) {
      // The mock server gives up waiting for its own watch threads after a while and says so;
      // its port is closed by then, which is all a caller needs.
      org.slf4j.LoggerFactory.getLogger(EmbeddedKubernetes.class)
          .debug("embedded Kubernetes API stopped untidily: {}", e.getMessage());
    }
  }
}
