package dev.weft.cli;

import io.fabric8.kubernetes.client.Config;
import io.fabric8.kubernetes.client.ConfigBuilder;
import io.fabric8.kubernetes.client.KubernetesClient;
import io.fabric8.kubernetes.client.KubernetesClientBuilder;
import io.fabric8.kubernetes.client.OAuthTokenProvider;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.net.InetAddress;
import java.net.URI;
import java.net.UnknownHostException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.FileTime;
import java.util.Map;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * How Weft reaches a real Kubernetes API: from a kubeconfig ({@code --kubeconfig}: its current
 * context, with the cluster's CA and a token, client certificate or exec plugin) or, in a pod, from
 * the service account ({@code --in-cluster}). Either way the API server's certificate and host name
 * are verified: a configuration that turns verification off is refused, not obeyed, since a manager
 * that believes a forged API server would hand the network to whoever forged it.
 */
final class KubeClients {
  private static final Logger log = LoggerFactory.getLogger(KubeClients.class);

  /** Where Kubernetes mounts a pod's service-account token, CA and namespace. */
  static final Path SERVICE_ACCOUNT = Path.of("/var/run/secrets/kubernetes.io/serviceaccount");

  private KubeClients() {}

  static KubernetesClient client(Config config) {
    return new KubernetesClientBuilder().withConfig(config).build();
  }

  /**
   * The current context of {@code file}; paths in it (certificate-authority, client-certificate,
   * client-key) are relative to the file.
   *
   * @throws IllegalArgumentException when the file is missing or invalid, or turns TLS verification
   *     off
   */
  static Config fromKubeconfig(Path file) {
    if (!Files.isRegularFile(file)) {
      throw new IllegalArgumentException(
          "--kubeconfig " + file + " does not exist or is not a regular file");
    }
    Config config;
    try {
      config = Config.fromKubeconfig(file.toAbsolutePath().toFile());
    } catch (RuntimeException e) {
      throw new IllegalArgumentException(
          "--kubeconfig " + file + " is not a usable kubeconfig: " + e.getMessage(), e);
    }
    if (config.getMasterUrl() == null || config.getMasterUrl().isBlank()) {
      throw new IllegalArgumentException(
          "--kubeconfig " + file + ": its current context names no cluster server");
    }
    return verified(config, "--kubeconfig " + file);
  }

  /** In a pod: see {@link #inCluster(Map, Path)}, with this process's environment. */
  static Config inCluster() {
    return inCluster(System.getenv(), SERVICE_ACCOUNT);
  }

  /**
   * The API server a pod reaches at {@code KUBERNETES_SERVICE_HOST:KUBERNETES_SERVICE_PORT}, its
   * certificate checked against the service account's {@code ca.crt}, authenticated with the
   * service account's token. The token is read again whenever its file changes: projected tokens
   * expire and the kubelet rotates them. Unlike fabric8's auto-configuration, no kubeconfig file,
   * system property or environment variable can redirect it elsewhere or turn verification off.
   *
   * @throws IllegalArgumentException when this is not a pod or the service account is not mounted
   */
  static Config inCluster(Map<String, String> env, Path serviceAccount) {
    String host = env.get("KUBERNETES_SERVICE_HOST");
    String port = env.get("KUBERNETES_SERVICE_PORT");
    if (host == null || host.isBlank() || port == null || port.isBlank()) {
      throw new IllegalArgumentException(
          "--in-cluster: KUBERNETES_SERVICE_HOST and KUBERNETES_SERVICE_PORT are not set, so this"
              + " is not running in a pod; outside a cluster use --kubeconfig FILE");
    }
    Path token = serviceAccount.resolve("token");
    Path ca = serviceAccount.resolve("ca.crt");
    if (!Files.isRegularFile(token)) {
      throw new IllegalArgumentException(
          "--in-cluster: no service-account token at "
              + token
              + "; mount one (automountServiceAccountToken: true, serviceAccountName: weft)");
    }
    if (!Files.isRegularFile(ca)) {
      throw new IllegalArgumentException(
          "--in-cluster: no cluster CA at "
              + ca
              + "; without it the API server cannot be verified");
    }
    String hostPort = (host.indexOf(':') >= 0 ? "[" + host + "]" : host) + ":" + port;
    ConfigBuilder builder =
        new ConfigBuilder(Config.empty())
            .withMasterUrl("https://" + hostPort)
            .withCaCertFile(ca.toAbsolutePath().toString());
    Path namespace = serviceAccount.resolve("namespace");
    if (Files.isRegularFile(namespace)) {
      builder.withNamespace(read(namespace));
    }
    Config config = builder.build();
    config.setOauthTokenProvider(new ServiceAccountToken(token));
    return verified(config, "--in-cluster");
  }

  /**
   * Refuses a configuration that does not verify the API server's certificate or host name, and
   * warns about one that talks plain HTTP beyond loopback.
   */
  static Config verified(Config config, String source) {
    if (config.isTrustCerts()) {
      throw new IllegalArgumentException(
          source
              + ": it turns off verification of the Kubernetes API server's certificate"
              + " (insecure-skip-tls-verify or KUBERNETES_TRUST_CERTIFICATES); Weft always"
              + " verifies it: give the cluster's CA instead (certificate-authority-data)");
    }
    if (config.isDisableHostnameVerification()) {
      throw new IllegalArgumentException(
          source
              + ": it turns off host name verification of the Kubernetes API server"
              + " (KUBERNETES_DISABLE_HOSTNAME_VERIFICATION); Weft always verifies it");
    }
    URI master = URI.create(config.getMasterUrl());
    if ("http".equals(master.getScheme()) && !isLoopback(master.getHost())) {
      log.warn(
          "{}: the Kubernetes API at {} is plain HTTP: credentials and objects cross the network"
              + " in clear text",
          source,
          config.getMasterUrl());
    }
    return config;
  }

  private static boolean isLoopback(String host) {
    if (host == null) {
      return false;
    }
    String h = host.startsWith("[") ? host.substring(1, host.length() - 1) : host;
    try {
      for (InetAddress a : InetAddress.getAllByName(h)) {
        if (!a.isLoopbackAddress()) {
          return false;
        }
      }
      return true;
    } catch (UnknownHostException e) {
      return false;
    }
  }

  private static String read(Path file) {
    try {
      return Files.readString(file, StandardCharsets.UTF_8).strip();
    } catch (IOException e) {
      throw new UncheckedIOException("cannot read " + file, e);
    }
  }

  /**
   * A service-account token file, read again when it changes. fabric8 asks for the token on every
   * request, so a stat is all most requests cost.
   */
  static final class ServiceAccountToken implements OAuthTokenProvider {
    private final Path file;
    private FileTime readAt;
    private String token;

    ServiceAccountToken(Path file) {
      this.file = file;
    }

    @Override
    public synchronized String getToken() {
      try {
        FileTime modified = Files.getLastModifiedTime(file);
        if (token == null || !modified.equals(readAt)) {
          token = read(file);
          readAt = modified;
        }
      } catch (IOException | UncheckedIOException e) {
        // Mid-rotation the file can vanish for a moment: keep the last token, which the API
        // server still accepts for a while; with none yet, the request goes unauthenticated and
        // fails with 401, which is reported.
        log.warn("cannot read the service-account token {}: {}", file, e.getMessage());
      }
      return token;
    }

    @Override
    public String toString() {
      return "ServiceAccountToken[" + file + "]"; // never the token
    }
  }
}
