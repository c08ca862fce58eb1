package dev.weft.cli.lab;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.weft.kube.embedded.PodSandboxes;
import dev.weft.kube.translate.KubeAnnotations;
import dev.weft.model.IpPrefix;
import io.fabric8.kubernetes.api.model.ContainerPort;
import io.fabric8.kubernetes.api.model.Event;
import io.fabric8.kubernetes.api.model.EventBuilder;
import io.fabric8.kubernetes.api.model.Pod;
import io.fabric8.kubernetes.client.KubernetesClient;
import io.fabric8.kubernetes.client.KubernetesClientException;
import java.io.IOException;
import java.io.OutputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Set;
import java.util.TreeSet;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicLong;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The lab's pod sandboxes, as kubelet and its container runtime would make them: a network
 * namespace per pod, wired by running the installed {@code weft-cni} exactly as kubelet runs a CNI
 * plugin (environment and network configuration on stdin), and one {@link PodProcess} in it
 * answering on the pod's declared ports. A failed ADD becomes a Warning Event on the pod ({@code
 * FailedCreatePodSandBox}, with the plugin's message) and is tried again; a pod whose addresses
 * changed (it moved network) gets DEL then ADD, as a restarted sandbox would.
 */
final class LabSandboxes implements PodSandboxes {
  private static final Logger log = LoggerFactory.getLogger(LabSandboxes.class);
  private static final ObjectMapper JSON = new ObjectMapper();
  private static final Duration CNI_BOUND = Duration.ofSeconds(60);
  private static final Duration PROCESS_READY = Duration.ofSeconds(30);
  private static final List<String> POD_JVM =
      List.of(
          "-XX:TieredStopAtLevel=1",
          "-XX:+UseSerialGC",
          "-Xmx24m",
          "-Xss256k",
          "-XX:-UsePerfData",
          "-XX:CICompilerCount=1",
          "-Xshare:auto");

  /** One pod's sandbox. */
  private static final class Sandbox {
    final String key;
    final String uid;
    final String node;
    final String netns;
    final String containerId;
    Set<String> addresses = Set.of(); // as the last successful ADD gave them; empty: not added
    PodChannel process;
    String lastProblem;

    Sandbox(String key, String uid, String node, String netns, String containerId) {
      this.key = key;
      this.uid = uid;
      this.node = node;
      this.netns = netns;
      this.containerId = containerId;
    }
  }

  private final LabNetwork network;
  private volatile KubernetesClient client;
  private final Path cni;
  private final Path logs;
  private final Clock clock;
  private final Map<String, Sandbox> sandboxes = new ConcurrentHashMap<>();
  private final AtomicLong sequence = new AtomicLong();
  private volatile Map<String, Path> sockets; // node -> its agent's CNI socket; null: lab not up
  private volatile boolean closed;

  LabSandboxes(LabNetwork network, KubernetesClient client, Path cni, Path logs, Clock clock) {
    this.network = network;
    this.client = client;
    this.cni = cni;
    this.logs = logs;
    this.clock = clock;
  }

  /** Where pod Events go. */
  void useClient(KubernetesClient client) {
    this.client = client;
  }

  /** The lab is up: its nodes' agents serve the CNI on these sockets. */
  void open(Map<String, Path> sockets) {
    this.sockets = Map.copyOf(sockets);
  }

  /** The process of pod {@code namespace/name}, or null while it has no working sandbox. */
  PodChannel process(String key) {
    Sandbox s = sandboxes.get(key);
    return s == null || s.addresses.isEmpty() || s.process == null || !s.process.alive()
        ? null
        : s.process;
  }

  /**
   * The process of pod {@code namespace/name} if its interface has {@code addresses} (as Weft
   * compiled them; a pod that moved network is wired again first), else null.
   */
  PodChannel process(String key, java.util.Collection<String> addresses) {
    Sandbox s = sandboxes.get(key);
    if (s == null) {
      return null;
    }
    Set<String> want = new TreeSet<>();
    for (String a : addresses) {
      want.add(IpPrefix.canonicalAddress(a.contains("/") ? a.substring(0, a.indexOf('/')) : a));
    }
    return want.equals(s.addresses) ? process(key) : null;
  }

  /** The network namespace of pod {@code namespace/name}, or null while it has no sandbox. */
  String netns(String key) {
    Sandbox s = sandboxes.get(key);
    return s == null ? null : s.netns;
  }

  /** How many pods have a sandbox. */
  int size() {
    return sandboxes.size();
  }

  @Override
  public boolean ensure(Pod pod, String node) {
    Map<String, Path> socks = sockets;
    if (closed || socks == null) {
      return false;
    }
    String key = pod.getMetadata().getNamespace() + "/" + pod.getMetadata().getName();
    String uid = pod.getMetadata().getUid();
    Set<String> wanted = addresses(pod);
    Sandbox s = sandboxes.get(key);
    if (s != null
        && s.uid.equals(uid)
        && s.node.equals(node)
        && s.addresses.equals(wanted)
        && s.process != null
        && s.process.alive()) {
      return true;
    }
    Path socket = socks.get(node);
    if (socket == null) {
      problem(
          pod, s, "node " + node + " is not part of the lab (its nodes: " + socks.keySet() + ")");
      return false;
    }
    try {
      if (s != null && (!s.uid.equals(uid) || !s.node.equals(node))) {
        // Another pod of the same name, or moved: the old sandbox goes first.
        teardown(s);
        s = null;
      }
      if (s == null) {
        String netns = netnsName(key);
        note(key + ": sandbox " + netns + " on " + node);
        network.namespace(netns.substring(network.prefix().length() + 1));
        s = new Sandbox(key, uid, node, netns, "lab" + uid.replace("-", ""));
        sandboxes.put(key, s);
      }
      if (!s.addresses.isEmpty() && !s.addresses.equals(wanted)) {
        // The pod moved network: its interface is redone, as a restarted sandbox's would be.
        cni("DEL", pod, s, socket);
        s.addresses = Set.of();
      }
      if (s.addresses.isEmpty()) {
        JsonNode result = cni("ADD", pod, s, socket);
        if (result.has("code") || !result.has("ips")) {
          String msg =
              result.path("msg").asText("no result")
                  + (result.path("details").asText("").isEmpty()
                      ? ""
                      : ": " + result.path("details").asText());
          problem(
              pod, s, "weft-cni ADD failed (code " + result.path("code").asText("?") + "): " + msg);
          return false;
        }
        Set<String> got = new TreeSet<>();
        for (JsonNode ip : result.path("ips")) {
          String a = ip.path("address").asText();
          got.add(IpPrefix.canonicalAddress(a.contains("/") ? a.substring(0, a.indexOf('/')) : a));
        }
        s.addresses = got;
        if (!got.equals(wanted)) {
          log.info(
              "lab: pod {}: the CNI gave {}, the pod's network-status says {}", key, got, wanted);
        }
      }
      if (s.process == null || !s.process.alive()) {
        if (s.process != null) {
          s.process.close();
        }
        s.process = startProcess(pod, s);
        long started = System.nanoTime();
        boolean ready = s.process.awaitReady(PROCESS_READY);
        note(
            s.key
                + ": pod process "
                + (ready ? "ready" : "not ready")
                + " after "
                + (System.nanoTime() - started) / 1_000_000
                + " ms");
        if (!ready) {
          problem(
              pod,
              s,
              "the lab's pod process did not start within " + PROCESS_READY.toSeconds() + " s");
          return false;
        }
      }
      s.lastProblem = null;
      return true;
    } catch (RuntimeException | IOException e) {
      problem(pod, s, "the lab could not set up the pod's sandbox: " + e.getMessage());
      return false;
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      return false;
    }
  }

  @Override
  public void remove(String namespace, String name) {
    Sandbox s = sandboxes.get(namespace + "/" + name);
    if (s != null) {
      teardown(s);
    }
  }

  private void teardown(Sandbox s) {
    if (s.process != null) {
      s.process.close();
    }
    Map<String, Path> socks = sockets;
    if (!closed && socks != null && socks.get(s.node) != null) {
      try {
        JsonNode r = cni("DEL", null, s, socks.get(s.node));
        if (r.has("code")) {
          log.warn("lab: pod {}: weft-cni DEL failed: {}", s.key, r);
        }
      } catch (IOException | RuntimeException e) {
        log.warn("lab: pod {}: weft-cni DEL failed: {}", s.key, e.toString());
      } catch (InterruptedException e) {
        Thread.currentThread().interrupt();
      }
    }
    network.deleteNamespace(s.netns);
    sandboxes.remove(s.key, s);
  }

  /** Stops every pod process (their namespaces go with the lab's). */
  void close() {
    closed = true;
    sandboxes.values().parallelStream()
        .forEach(
            s -> {
              if (s.process != null) {
                s.process.close();
              }
            });
  }

  /**
   * Appends a line to the lab's {@code kubelet.log}, what kubelet's own log would say of the pod's
   * sandbox (the lab's failures print the tail of every log).
   */
  private void note(String line) {
    String stamped =
        java.time.LocalTime.now(clock.withZone(java.time.ZoneId.systemDefault()))
                .truncatedTo(java.time.temporal.ChronoUnit.MILLIS)
            + " "
            + line
            + "\n";
    synchronized (this) {
      try {
        java.nio.file.Files.writeString(
            logs.resolve("kubelet.log"),
            stamped,
            StandardCharsets.UTF_8,
            java.nio.file.StandardOpenOption.CREATE,
            java.nio.file.StandardOpenOption.APPEND);
      } catch (IOException e) {
        log.debug("lab: kubelet.log: {}", e.toString());
      }
    }
  }

  /** Runs the plugin as kubelet does; its stdout parsed (the result, or the CNI error object). */
  private JsonNode cni(String command, Pod pod, Sandbox s, Path socket)
      throws IOException, InterruptedException {
    String[] nsName = s.key.split("/", 2);
    ProcessBuilder pb = new ProcessBuilder(cni.toString());
    Map<String, String> env = pb.environment();
    env.put("CNI_COMMAND", command);
    env.put("CNI_CONTAINERID", s.containerId);
    env.put("CNI_NETNS", "/var/run/netns/" + s.netns);
    env.put("CNI_IFNAME", "eth0");
    env.put("CNI_PATH", cni.getParent().toString());
    env.put(
        "CNI_ARGS",
        "IgnoreUnknown=1;K8S_POD_NAMESPACE="
            + nsName[0]
            + ";K8S_POD_NAME="
            + nsName[1]
            + ";K8S_POD_INFRA_CONTAINER_ID="
            + s.containerId
            + ";K8S_POD_UID="
            + s.uid);
    pb.redirectError(ProcessBuilder.Redirect.appendTo(logs.resolve("cni.log").toFile()));
    String config =
        JSON.writeValueAsString(
            Map.of(
                "cniVersion", "1.0.0",
                "name", "weft",
                "type", "weft-cni",
                "agentSocket", socket.toString()));
    long started = System.nanoTime();
    note(s.key + ": weft-cni " + command + " started");
    Process p = pb.start();
    try (OutputStream in = p.getOutputStream()) {
      in.write(config.getBytes(StandardCharsets.UTF_8));
    }
    byte[] out;
    if (!p.waitFor(CNI_BOUND.toMillis(), TimeUnit.MILLISECONDS)) {
      Children.stop(p, Duration.ofSeconds(1));
      throw new IOException(
          "weft-cni " + command + " did not finish within " + CNI_BOUND.toSeconds() + " s");
    }
    out = p.getInputStream().readAllBytes();
    String text = new String(out, StandardCharsets.UTF_8).trim();
    long took = (System.nanoTime() - started) / 1_000_000;
    log.info("lab: pod {}: weft-cni {} exited {} in {} ms", s.key, command, p.exitValue(), took);
    note(s.key + ": weft-cni " + command + " exited " + p.exitValue() + " in " + took + " ms");
    if (text.isEmpty()) {
      if (p.exitValue() == 0) {
        return JSON.createObjectNode();
      }
      return JSON.createObjectNode()
          .put("code", 999)
          .put("msg", "weft-cni " + command + " exited " + p.exitValue() + " and printed nothing")
          .put("details", "see " + logs.resolve("cni.log"));
    }
    JsonNode parsed = JSON.readTree(text);
    if (p.exitValue() != 0 && !parsed.has("code")) {
      ((com.fasterxml.jackson.databind.node.ObjectNode) parsed).put("code", p.exitValue());
    }
    return parsed;
  }

  private PodChannel startProcess(Pod pod, Sandbox s) throws IOException {
    List<String> args = new ArrayList<>();
    args.add(s.key);
    for (String port : declaredPorts(pod)) {
      args.add(port);
    }
    List<String> argv = Children.javaCommand(s.netns, POD_JVM, PodProcess.class.getName(), args);
    Process p =
        new ProcessBuilder(argv)
            .redirectError(ProcessBuilder.Redirect.appendTo(logs.resolve("pods.log").toFile()))
            .start();
    return new PodChannel(s.key, p);
  }

  /**
   * The pod's TCP and UDP container ports ({@code 80/TCP}); SCTP ports are not served: this lab's
   * kernel may have no SCTP, and the pod process speaks TCP and UDP only.
   */
  static Set<String> declaredPorts(Pod pod) {
    Set<String> out = new LinkedHashSet<>();
    if (pod.getSpec() == null) {
      return out;
    }
    for (var c : pod.getSpec().getContainers()) {
      if (c.getPorts() == null) {
        continue;
      }
      for (ContainerPort p : c.getPorts()) {
        String proto = p.getProtocol() == null ? "TCP" : p.getProtocol().toUpperCase(Locale.ROOT);
        if (p.getContainerPort() != null && (proto.equals("TCP") || proto.equals("UDP"))) {
          out.add(p.getContainerPort() + "/" + proto);
        }
      }
    }
    return out;
  }

  /** The addresses Weft wrote in the pod's network-status annotation (default network). */
  private static Set<String> addresses(Pod pod) {
    Set<String> out = new TreeSet<>();
    Map<String, String> a = pod.getMetadata().getAnnotations();
    String status = a == null ? null : a.get(KubeAnnotations.NETWORK_STATUS);
    if (status == null) {
      return out;
    }
    try {
      for (JsonNode entry : JSON.readTree(status)) {
        if (entry.path("default").asBoolean(true)) {
          entry.path("ips").forEach(ip -> out.add(IpPrefix.canonicalAddress(ip.asText())));
        }
      }
    } catch (IOException | IllegalArgumentException e) {
      // unreadable: the kube-manager's own events say so; the sandbox waits for a good one
    }
    return out;
  }

  /** {@code PREFIX-p-NAMESPACE.NAME}, or a hash of it when that would be long. */
  private String netnsName(String key) {
    String readable = key.replace('/', '.').replaceAll("[^A-Za-z0-9._-]", "_");
    String name = network.prefix() + "-p-" + readable;
    if (name.length() > 60) {
      name =
          network.prefix()
              + "-p-"
              + Integer.toHexString(key.hashCode())
              + "-"
              + sequence.incrementAndGet();
    }
    return name;
  }

  /**
   * Logs {@code message} and records it as a Warning Event on the pod, once per distinct message,
   * as kubelet reports a sandbox it could not create.
   */
  private void problem(Pod pod, Sandbox s, String message) {
    String key = pod.getMetadata().getNamespace() + "/" + pod.getMetadata().getName();
    if (s != null) {
      if (message.equals(s.lastProblem)) {
        return;
      }
      s.lastProblem = message;
    }
    log.warn("lab: pod {}: FailedCreatePodSandBox: {}", key, message);
    note(key + ": FailedCreatePodSandBox: " + message);
    Instant now = clock.instant();
    String namespace = pod.getMetadata().getNamespace();
    Event event =
        new EventBuilder()
            .withNewMetadata()
            .withNamespace(namespace)
            .withName(
                pod.getMetadata().getName()
                    + "."
                    + Long.toHexString(now.toEpochMilli())
                    + sequence.incrementAndGet())
            .endMetadata()
            .withNewInvolvedObject()
            .withApiVersion("v1")
            .withKind("Pod")
            .withNamespace(namespace)
            .withName(pod.getMetadata().getName())
            .withUid(pod.getMetadata().getUid())
            .endInvolvedObject()
            .withType("Warning")
            .withReason("FailedCreatePodSandBox")
            .withMessage("Failed to create pod sandbox: " + message)
            .withCount(1)
            .withFirstTimestamp(now.toString())
            .withLastTimestamp(now.toString())
            .withNewSource()
            .withComponent("kubelet")
            .endSource()
            .withReportingComponent("weft-lab")
            .build();
    KubernetesClient c = client;
    if (c == null) {
      return;
    }
    try {
      c.v1().events().inNamespace(namespace).resource(event).create();
    } catch (KubernetesClientException e) {
      log.debug("lab: pod {}: could not record the event: {}", key, e.getMessage());
    }
  }
}
