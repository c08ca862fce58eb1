package dev.weft.agent.cni;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.weft.agent.CommandFailedException;
import dev.weft.agent.linux.Naming;
import dev.weft.agent.linux.NodeState.PodInterface;
import dev.weft.agent.node.NodeAgent;
import dev.weft.cni.ErrorCodes;
import java.time.Duration;
import java.util.HashSet;
import java.util.List;
import java.util.Set;
import java.util.concurrent.Callable;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeoutException;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The agent's answers to the CNI ({@code weft-cni/PROTOCOL.md}): one request object in, one
 * response object out. Thread-safe: requests are served concurrently, their kernel work queued on
 * the agent's kernel thread.
 */
public final class CniHandler {
  private static final Logger LOG = LoggerFactory.getLogger(CniHandler.class);
  private static final ObjectMapper JSON = new ObjectMapper();
  private static final Duration DEFAULT_WAIT = Duration.ofSeconds(30);
  private static final Duration MAX_WAIT = Duration.ofMinutes(5);
  private static final Duration KERNEL_WORK = Duration.ofSeconds(60);
  private static final Duration POLL = Duration.ofMillis(250);

  private final NodeAgent agent;
  private final PodWiring wiring;

  public CniHandler(NodeAgent agent, PodWiring wiring) {
    this.agent = agent;
    this.wiring = wiring;
  }

  /** Serves one request; never throws: failures are answered with their code. */
  public ObjectNode handle(JsonNode request) {
    String command = request.path("command").asText("");
    long start = System.nanoTime();
    try {
      ObjectNode out =
          switch (command) {
            case "ADD" -> add(request);
            case "DEL" -> del(request);
            case "CHECK" -> check(request);
            case "STATUS" -> status();
            case "GC" -> gc(request);
            default ->
                throw new CniException(
                    ErrorCodes.DECODE_FAILURE,
                    "unknown command \"" + command + "\"",
                    "expected one of ADD, DEL, CHECK, STATUS, GC");
          };
      if (!command.equals("STATUS")) {
        LOG.info(
            "CNI {} {} {}: ok in {} ms",
            command,
            request.path("containerId").asText(""),
            pod(request),
            (System.nanoTime() - start) / 1_000_000);
      }
      return out;
    } catch (CniException e) {
      LOG.warn(
          "CNI {} {} {}: code {}: {}: {}",
          command,
          request.path("containerId").asText(""),
          pod(request),
          e.code(),
          e.getMessage(),
          e.details());
      return error(e.code(), e.getMessage(), e.details());
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      return error(ErrorCodes.TRY_AGAIN_LATER, "the agent is stopping", "try again");
    } catch (RuntimeException e) {
      LOG.error("CNI {}: unexpected failure", command, e);
      return error(ErrorCodes.IO_FAILURE, "the agent failed: " + e, "see the agent's log");
    }
  }

  private static String pod(JsonNode request) {
    JsonNode args = request.path("args");
    if (!args.has("K8S_POD_NAME")) {
      return "";
    }
    return args.path("K8S_POD_NAMESPACE").asText("?") + "/" + args.path("K8S_POD_NAME").asText("?");
  }

  /** A failure response. */
  public static ObjectNode error(int code, String msg, String details) {
    ObjectNode o = JSON.createObjectNode();
    o.put("ok", false);
    o.put("code", code);
    o.put("msg", msg);
    o.put("details", details);
    return o;
  }

  private static ObjectNode ok() {
    return JSON.createObjectNode().put("ok", true);
  }

  // ---------------------------------------------------------------------------------------------

  private record PodRef(String namespace, String name, String uid) {
    @Override
    public String toString() {
      return namespace + "/" + name;
    }
  }

  private static String required(JsonNode request, String field, String env) {
    String v = request.path(field).asText("");
    if (v.isBlank()) {
      throw new CniException(
          ErrorCodes.INVALID_ENVIRONMENT, env + " is missing", "the request has no " + field);
    }
    return v;
  }

  private static PodRef podRef(JsonNode request) {
    JsonNode args = request.path("args");
    String ns = args.path("K8S_POD_NAMESPACE").asText("");
    String name = args.path("K8S_POD_NAME").asText("");
    if (ns.isBlank() || name.isBlank()) {
      throw new CniException(
          ErrorCodes.INVALID_ENVIRONMENT,
          "CNI_ARGS has no K8S_POD_NAMESPACE and K8S_POD_NAME",
          "Weft wires Kubernetes pods only: the container runtime passes the pod's namespace and"
              + " name in CNI_ARGS (got "
              + args
              + ")");
    }
    return new PodRef(ns, name, args.path("K8S_POD_UID").asText(""));
  }

  private static Duration wait(JsonNode request) {
    long ms = request.path("timeoutMs").asLong(0);
    if (ms <= 0) {
      return DEFAULT_WAIT;
    }
    Duration d = Duration.ofMillis(ms);
    return d.compareTo(MAX_WAIT) > 0 ? MAX_WAIT : d;
  }

  private static String ifName(JsonNode request) {
    String ifName = request.path("ifName").asText("");
    return ifName.isBlank() ? "eth0" : ifName;
  }

  /** Waits (bounded) until the pod has an interface this node programs. */
  private PodInterface awaitPod(PodRef pod, Duration wait) throws InterruptedException {
    long deadline = System.nanoTime() + wait.toNanos();
    long seen = agent.generation();
    boolean said = false;
    while (true) {
      NodeAgent.PodLookup l = agent.findPod(pod.namespace(), pod.name(), pod.uid());
      if (l.local() != null) {
        return l.local();
      }
      if (!said) {
        // Worth a line: an ADD that waits says for what, so a slow sandbox can be explained.
        LOG.info(
            "CNI ADD {}: waiting up to {} for its interface: {}", pod, seconds(wait), l.problem());
        said = true;
      }
      long left = deadline - System.nanoTime();
      if (left <= 0) {
        String node = agent.options().node();
        throw new CniException(
            l.code(),
            "pod " + pod + " has no interface on node " + node,
            "pod "
                + pod
                + " has no interface on node "
                + node
                + " after "
                + seconds(wait)
                + ": "
                + l.problem());
      }
      seen = agent.awaitChange(seen, Duration.ofNanos(Math.min(left, POLL.toNanos())));
    }
  }

  private static String seconds(Duration d) {
    return d.toMillis() % 1000 == 0 ? d.toSeconds() + " s" : d.toMillis() + " ms";
  }

  private <T> T kernel(Callable<T> task, boolean reconcile) throws InterruptedException {
    try {
      return agent.onKernel(task, reconcile, KERNEL_WORK);
    } catch (TimeoutException e) {
      throw new CniException(
          ErrorCodes.TRY_AGAIN_LATER,
          "the agent is busy",
          "the node's kernel work did not finish within " + seconds(KERNEL_WORK));
    } catch (ExecutionException e) {
      Throwable c = e.getCause();
      if (c instanceof CniException ce) {
        throw ce;
      }
      if (c instanceof CommandFailedException cf) {
        throw new CniException(ErrorCodes.IO_FAILURE, "a command failed", cf.getMessage());
      }
      throw new CniException(ErrorCodes.IO_FAILURE, "the agent failed: " + c, "see its log");
    } catch (java.util.concurrent.RejectedExecutionException e) {
      throw new CniException(ErrorCodes.TRY_AGAIN_LATER, "the agent is stopping", "try again");
    }
  }

  /**
   * Runs {@code work} (wiring, and programming the node for it) on the kernel thread; when it says
   * the node is not yet programmed for it (false), waits for a full reconcile that began after it.
   */
  private void programmedOrReconciled(Callable<Boolean> work) throws InterruptedException {
    if (!kernel(work, false)) {
      kernel(() -> null, true);
    }
  }

  private ObjectNode add(JsonNode request) throws InterruptedException {
    String containerId = required(request, "containerId", "CNI_CONTAINERID");
    String netns = required(request, "netns", "CNI_NETNS");
    String ifName = ifName(request);
    PodRef pod = podRef(request);
    PodInterface p = awaitPod(pod, wait(request));
    // The node is programmed for the pod before the answer, so the pod has connectivity when ADD
    // returns: for a new veth, its own routes and elements only (no read of the node); otherwise
    // (an ADD repeated to repair, veths replaced) or when that failed, by a full reconcile, shared
    // with concurrent requests.
    programmedOrReconciled(
        () ->
            wiring.add(containerId, netns, ifName, p) == PodWiring.Wired.CREATED
                && agent.programWired(p));
    ObjectNode out = ok();
    out.set("result", result(request, netns, ifName, p));
    return out;
  }

  /** The CNI 1.0 result of {@link #add}: the same for the same interface, so ADD is idempotent. */
  static ObjectNode result(JsonNode request, String netns, String ifName, PodInterface p) {
    ObjectNode r = JSON.createObjectNode();
    r.put("cniVersion", request.path("config").path("cniVersion").asText("1.0.0"));
    ArrayNode interfaces = r.putArray("interfaces");
    interfaces.addObject().put("name", p.hostDevice()).put("mac", p.hostMac());
    interfaces
        .addObject()
        .put("name", ifName)
        .put("mac", p.mac())
        .put("sandbox", netns)
        .put("mtu", p.mtu());
    ArrayNode ips = r.putArray("ips");
    boolean v4 = false;
    boolean v6 = false;
    for (String a : p.addresses()) {
      boolean six = a.indexOf(':') >= 0;
      v4 |= !six;
      v6 |= six;
      ips.addObject()
          .put("address", a + (six ? "/128" : "/32"))
          .put("gateway", six ? Naming.GATEWAY6 : Naming.GATEWAY4)
          .put("interface", 1);
    }
    ArrayNode routes = r.putArray("routes");
    if (v4) {
      routes.addObject().put("dst", "0.0.0.0/0").put("gw", Naming.GATEWAY4);
    }
    if (v6) {
      routes.addObject().put("dst", "::/0").put("gw", Naming.GATEWAY6);
    }
    r.putObject("dns");
    return r;
  }

  private ObjectNode del(JsonNode request) throws InterruptedException {
    String containerId = required(request, "containerId", "CNI_CONTAINERID");
    // A DEL of nothing (repeated, or of a container never added) programs nothing; otherwise the
    // node forgets what was on the removed veths without a read, or by a full reconcile if that
    // could not be done.
    programmedOrReconciled(
        () -> {
          List<String> removed = wiring.delete(containerId);
          LOG.debug("CNI DEL {}: removed {}", containerId, removed);
          return removed.isEmpty() || agent.programRemoved(removed);
        });
    return ok();
  }

  private ObjectNode check(JsonNode request) throws InterruptedException {
    String containerId = required(request, "containerId", "CNI_CONTAINERID");
    String netns = required(request, "netns", "CNI_NETNS");
    String ifName = ifName(request);
    PodRef pod = podRef(request);
    NodeAgent.PodLookup l = agent.findPod(pod.namespace(), pod.name(), pod.uid());
    if (l.local() == null) {
      throw new CniException(
          l.code() == ErrorCodes.OTHER_NODE ? l.code() : ErrorCodes.UNKNOWN_CONTAINER,
          "pod " + pod + " has no interface on node " + agent.options().node(),
          l.problem());
    }
    List<String> diffs = kernel(() -> wiring.check(containerId, netns, ifName, l.local()), false);
    if (!diffs.isEmpty()) {
      throw new CniException(
          ErrorCodes.IO_FAILURE,
          "pod " + pod + "'s interface is not as ADD made it",
          String.join("; ", diffs));
    }
    return ok();
  }

  private ObjectNode status() {
    NodeAgent.Status s = agent.status();
    if (!s.ready()) {
      throw new CniException(
          ErrorCodes.NOT_AVAILABLE,
          "the Weft agent of node " + s.node() + " is not ready",
          s.notReady() == null ? "it has not programmed the node yet" : s.notReady());
    }
    return ok();
  }

  private ObjectNode gc(JsonNode request) throws InterruptedException {
    JsonNode attachments = request.path("config").path("cni.dev/valid-attachments");
    if (!attachments.isArray()) {
      throw new CniException(
          ErrorCodes.INVALID_CONFIG,
          "GC needs cni.dev/valid-attachments",
          "the network configuration of a GC lists the attachments to keep; without it nothing is"
              + " removed");
    }
    Set<String> valid = new HashSet<>();
    for (JsonNode a : attachments) {
      valid.add(a.path("containerID").asText(""));
    }
    List<String> removed = kernel(() -> wiring.collect(valid), true);
    if (!removed.isEmpty()) {
      LOG.info("CNI GC: removed the veths of stale containers: {}", removed);
    }
    return ok();
  }
}
