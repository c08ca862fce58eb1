package dev.weft.store.etcd;

import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Objects;

/**
 * Where an {@link EtcdConfigStore} finds etcd and how long it waits for it: the members' client
 * endpoints, an optional key namespace, and the timeout of one request.
 *
 * @param endpoints client endpoints as {@code host:port} ({@code [v6addr]:port} for IPv6), at least
 *     one; the client balances requests over all of them and fails over between them
 * @param namespace prefix put before every key, empty or ending with {@code /}, so that several
 *     Weft clusters can share one etcd without seeing each other's keys (namespaces must not nest)
 * @param requestTimeout deadline of one etcd request; a write that runs into it may or may not have
 *     been applied
 */
public record EtcdStoreConfig(List<String> endpoints, String namespace, Duration requestTimeout) {
  /** The default deadline of one request: long enough to ride out an etcd leader election. */
  public static final Duration DEFAULT_REQUEST_TIMEOUT = Duration.ofSeconds(10);

  private static final String SCHEME = "etcd://";
  private static final String FORM = "expected etcd://HOST:PORT[,HOST:PORT...][/NAMESPACE]";

  public EtcdStoreConfig {
    endpoints = List.copyOf(endpoints);
    Objects.requireNonNull(namespace, "namespace");
    Objects.requireNonNull(requestTimeout, "requestTimeout");
    if (endpoints.isEmpty()) {
      throw new IllegalArgumentException("etcd store: at least one endpoint is needed");
    }
    if (!namespace.isEmpty() && !namespace.endsWith("/")) {
      throw new IllegalArgumentException(
          "etcd store: namespace \""
              + namespace
              + "\" must end with \"/\" so it cannot be the"
              + " prefix of another namespace");
    }
    if (requestTimeout.isNegative() || requestTimeout.isZero()) {
      throw new IllegalArgumentException(
          "etcd store: request timeout must be positive, got " + requestTimeout);
    }
  }

  /** Endpoints with no namespace and the default request timeout. */
  public static EtcdStoreConfig of(List<String> endpoints) {
    return new EtcdStoreConfig(endpoints, "", DEFAULT_REQUEST_TIMEOUT);
  }

  /**
   * Parses {@code etcd://HOST:PORT[,HOST:PORT...][/NAMESPACE]}, as given to {@code weft up
   * --store}. The port defaults to 2379; a namespace {@code /weft-a} becomes the key prefix {@code
   * /weft-a/}.
   *
   * @throws IllegalArgumentException saying what part of {@code url} is wrong
   */
  public static EtcdStoreConfig parse(String url) {
    Objects.requireNonNull(url, "url");
    if (!url.startsWith(SCHEME)) {
      throw bad(url, "it does not start with " + SCHEME);
    }
    String rest = url.substring(SCHEME.length());
    if (rest.contains("?") || rest.contains("#") || rest.contains("@")) {
      throw bad(url, "query, fragment and user parts are not supported");
    }
    int slash = rest.indexOf('/');
    String hosts = slash < 0 ? rest : rest.substring(0, slash);
    String path = slash < 0 ? "" : rest.substring(slash);
    List<String> endpoints = new ArrayList<>();
    for (String hostPort : hosts.split(",", -1)) {
      endpoints.add(endpoint(url, hostPort.trim()));
    }
    String namespace = path.isEmpty() || path.equals("/") ? "" : path;
    if (!namespace.isEmpty() && !namespace.endsWith("/")) {
      namespace = namespace + "/";
    }
    if (namespace.contains("//")) {
      throw bad(url, "namespace \"" + namespace + "\" has an empty segment");
    }
    return new EtcdStoreConfig(endpoints, namespace, DEFAULT_REQUEST_TIMEOUT);
  }

  /** This configuration with another request timeout. */
  public EtcdStoreConfig withRequestTimeout(Duration timeout) {
    return new EtcdStoreConfig(endpoints, namespace, timeout);
  }

  /** This configuration with another namespace ({@code ""} or ending with {@code /}). */
  public EtcdStoreConfig withNamespace(String namespace) {
    return new EtcdStoreConfig(endpoints, namespace, requestTimeout);
  }

  /** The URL form, {@code etcd://h1:2379,h2:2379/namespace/}. */
  public String url() {
    return SCHEME + String.join(",", endpoints) + namespace;
  }

  private static String endpoint(String url, String hostPort) {
    if (hostPort.isEmpty()) {
      throw bad(url, "an endpoint is empty");
    }
    String host;
    String port;
    if (hostPort.startsWith("[")) {
      int close = hostPort.indexOf(']');
      if (close < 0) {
        throw bad(url, "endpoint \"" + hostPort + "\" has no closing ]");
      }
      host = hostPort.substring(0, close + 1);
      String after = hostPort.substring(close + 1);
      if (!after.isEmpty() && !after.startsWith(":")) {
        throw bad(url, "endpoint \"" + hostPort + "\": expected :PORT after the address");
      }
      port = after.isEmpty() ? "" : after.substring(1);
    } else {
      int colon = hostPort.lastIndexOf(':');
      if (colon != hostPort.indexOf(':')) {
        throw bad(url, "endpoint \"" + hostPort + "\": write IPv6 addresses as [ADDR]:PORT");
      }
      host = colon < 0 ? hostPort : hostPort.substring(0, colon);
      port = colon < 0 ? "" : hostPort.substring(colon + 1);
    }
    if (host.isEmpty() || host.equals("[]")) {
      throw bad(url, "endpoint \"" + hostPort + "\" has no host");
    }
    int number;
    try {
      number = port.isEmpty() ? 2379 : Integer.parseInt(port);
    } catch (NumberFormatException e) {
      throw bad(url, "endpoint \"" + hostPort + "\": port \"" + port + "\" is not a number");
    }
    if (number < 1 || number > 65_535) {
      throw bad(url, "endpoint \"" + hostPort + "\": port " + number + " is out of range");
    }
    return host + ":" + number;
  }

  private static IllegalArgumentException bad(String url, String why) {
    return new IllegalArgumentException("etcd store \"" + url + "\": " + FORM + "; " + why);
  }
}
