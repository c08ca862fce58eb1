package dev.weft.agent.node;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.SerializationFeature;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import com.sun.net.httpserver.HttpExchange;
import com.sun.net.httpserver.HttpServer;
import dev.weft.agent.linux.Nft;
import dev.weft.agent.linux.NodeState;
import dev.weft.agent.linux.ReconcileReport;
import java.io.IOException;
import java.io.OutputStream;
import java.net.InetSocketAddress;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.Iterator;
import java.util.Map;
import java.util.TreeMap;
import java.util.concurrent.Callable;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The agent's introspection over HTTP: {@code GET /} a page for people, {@code GET /state.json} the
 * same as JSON, {@code GET /healthz} ({@code 200 ok} once the node is programmed, else 503 and
 * why). What it shows: the node, the store's and the compiled revisions, the last reconcile and its
 * report, the pods' interfaces with the containers the CNI wired them for, routes per table, rules,
 * and the nftables sets and maps. Read-only.
 */
public final class Introspection implements AutoCloseable {
  private static final Logger LOG = LoggerFactory.getLogger(Introspection.class);
  private static final ObjectMapper JSON =
      new ObjectMapper().enable(SerializationFeature.INDENT_OUTPUT);

  private final NodeAgent agent;
  private final Callable<Map<String, String>> containers;
  private final HttpServer server;
  private final ExecutorService executor;

  private Introspection(
      NodeAgent agent, Callable<Map<String, String>> containers, HttpServer server) {
    this.agent = agent;
    this.containers = containers;
    this.server = server;
    this.executor =
        Executors.newSingleThreadExecutor(
            r -> {
              Thread t = new Thread(r, "weft-agent-introspect");
              t.setDaemon(true);
              return t;
            });
  }

  /**
   * Serves on {@code host}:{@code port} (0: any free port).
   *
   * @param containers the pods' host veths and their containers' ids (run on the kernel thread)
   */
  public static Introspection start(
      NodeAgent agent, Callable<Map<String, String>> containers, String host, int port)
      throws IOException {
    HttpServer server = HttpServer.create(new InetSocketAddress(host, port), 16);
    Introspection i = new Introspection(agent, containers, server);
    server.createContext("/", i::serve);
    server.setExecutor(i.executor);
    server.start();
    return i;
  }

  /** The address served, with the port bound. */
  public InetSocketAddress address() {
    return server.getAddress();
  }

  /** {@code http://HOST:PORT}. */
  public String url() {
    InetSocketAddress a = server.getAddress();
    String host = a.getAddress().getHostAddress();
    return "http://" + (host.indexOf(':') >= 0 ? "[" + host + "]" : host) + ":" + a.getPort();
  }

  private void serve(HttpExchange ex) throws IOException {
    try (ex) {
      if (!ex.getRequestMethod().equals("GET") && !ex.getRequestMethod().equals("HEAD")) {
        send(ex, 405, "text/plain", "GET only\n");
        return;
      }
      String path = ex.getRequestURI().getPath();
      switch (path) {
        case "/healthz" -> {
          NodeAgent.Status s = agent.status();
          if (s.ready()) {
            send(ex, 200, "text/plain", "ok\n");
          } else {
            send(ex, 503, "text/plain", "not ready: " + s.notReady() + "\n");
          }
        }
        case "/state.json" ->
            send(ex, 200, "application/json", JSON.writeValueAsString(state()) + "\n");
        case "/" -> send(ex, 200, "text/html; charset=utf-8", html(state()));
        default -> send(ex, 404, "text/plain", "no such page: try /, /state.json or /healthz\n");
      }
    } catch (RuntimeException e) {
      LOG.warn("introspection: {} failed", ex.getRequestURI(), e);
    }
  }

  private static void send(HttpExchange ex, int status, String type, String body)
      throws IOException {
    byte[] b = body.getBytes(StandardCharsets.UTF_8);
    ex.getResponseHeaders().set("Content-Type", type);
    ex.getResponseHeaders().set("Cache-Control", "no-store");
    boolean head = ex.getRequestMethod().equals("HEAD");
    ex.sendResponseHeaders(status, head ? -1 : b.length);
    if (!head) {
      try (OutputStream out = ex.getResponseBody()) {
        out.write(b);
      }
    }
  }

  /** Everything shown, as JSON. */
  ObjectNode state() {
    NodeAgent.Status s = agent.status();
    ObjectNode o = JSON.createObjectNode();
    o.put("node", s.node());
    o.put("netns", s.netns());
    o.put("ready", s.ready());
    o.put("notReady", s.notReady());
    ObjectNode store = o.putObject("store");
    store.put("description", agent.storeDescription());
    try {
      store.put("revision", agent.storeRevision());
    } catch (RuntimeException e) {
      store.put("error", String.valueOf(e.getMessage()));
    }
    o.put("startRevision", s.startRevision());
    o.put("compiledRevision", s.compiledRevision());
    o.put("renderedRevision", s.renderedRevision());
    o.put("programmedRevision", s.programmedRevision());
    o.put("lastReconcile", s.lastReconcile() == null ? null : s.lastReconcile().toString());
    ReconcileReport r = s.lastReport();
    if (r != null) {
      ObjectNode rep = o.putObject("lastReport");
      rep.set("changes", JSON.valueToTree(new TreeMap<>(r.changes())));
      rep.put("writes", r.writes());
      rep.put("reads", r.reads());
      rep.set("waiting", JSON.valueToTree(r.waiting()));
      rep.set("errors", JSON.valueToTree(r.errors()));
      rep.put("tookMs", r.took().toMillis());
    }
    o.put("lastError", s.lastError());
    o.put("lastErrorAt", s.lastErrorAt() == null ? null : s.lastErrorAt().toString());
    o.put("failures", s.failures());
    NodeState d = s.desired();
    if (d == null) {
      return o;
    }
    Map<String, String> wired;
    try {
      wired = agent.onKernel(containers, false, Duration.ofSeconds(5));
    } catch (Exception e) {
      wired = Map.of();
      o.put("containersError", String.valueOf(e.getMessage()));
    }
    o.put("nodeAddress", d.nodeAddress());
    o.put("mtu", d.mtu());
    ArrayNode pods = o.putArray("pods");
    for (NodeState.PodInterface p : d.interfaces()) {
      ObjectNode n = pods.addObject();
      n.put("pod", p.pod());
      n.put("interface", p.uuid().toString());
      n.put("network", p.network().toString());
      n.put("vni", p.vni());
      n.put("hostDevice", p.hostDevice());
      n.put("mac", p.mac());
      n.set("addresses", JSON.valueToTree(p.addresses()));
      String c = wired.get(p.hostDevice());
      n.put("containerId", c == null ? null : c);
      n.put("wired", c != null);
    }
    ArrayNode networks = o.putArray("networks");
    for (NodeState.Network n : d.networks()) {
      networks
          .addObject()
          .put("network", n.network().toString())
          .put("vni", n.vni())
          .put("device", n.device())
          .put("localPods", n.localPods());
    }
    ObjectNode routes = o.putObject("routes");
    for (NodeState.IpRoute route : d.routes()) {
      String table = Long.toString(route.table());
      if (!routes.has(table)) {
        routes.putArray(table);
      }
      ((ArrayNode) routes.get(table)).add((route.family() == 6 ? "-6 " : "") + route.args());
    }
    ArrayNode rules = o.putArray("rules");
    d.rules().forEach(rule -> rules.add(rule.toString()));
    ObjectNode nft = o.putObject("nft");
    ArrayNode sets = nft.putArray("sets");
    for (Nft.Set set : d.nft().sets()) {
      sets.addObject()
          .put("name", set.name())
          .put("kind", set.kind())
          .put("elements", set.elements().size());
    }
    ArrayNode chains = nft.putArray("chains");
    for (Nft.Chain c : d.nft().chains()) {
      chains.addObject().put("name", c.name()).put("rules", c.rules().size());
    }
    o.set("warnings", JSON.valueToTree(d.warnings()));
    return o;
  }

  /** {@code s} safe inside HTML text and attribute values. */
  static String escape(String s) {
    if (s == null) {
      return "";
    }
    StringBuilder sb = new StringBuilder(s.length());
    for (char c : s.toCharArray()) {
      switch (c) {
        case '<' -> sb.append("&lt;");
        case '>' -> sb.append("&gt;");
        case '&' -> sb.append("&amp;");
        case '"' -> sb.append("&quot;");
        case '\'' -> sb.append("&#39;");
        default -> sb.append(c);
      }
    }
    return sb.toString();
  }

  private static String text(JsonNode n) {
    if (n == null || n.isNull() || n.isMissingNode()) {
      return "";
    }
    return n.isValueNode() ? n.asText() : n.toString();
  }

  static String html(ObjectNode s) {
    StringBuilder h = new StringBuilder();
    String node = escape(text(s.get("node")));
    h.append("<!doctype html><html><head><meta charset=\"utf-8\"><title>weft agent ")
        .append(node)
        .append("</title><style>body{font-family:sans-serif;margin:1.5em}")
        .append("table{border-collapse:collapse;margin-bottom:1em}")
        .append("td,th{border:1px solid #ccc;padding:2px 8px;text-align:left;")
        .append("font-family:monospace}.bad{color:#b00}</style></head><body>");
    h.append("<h1>weft agent: node ").append(node).append("</h1>");
    h.append("<p><a href=\"state.json\">state.json</a> · <a href=\"healthz\">healthz</a></p>");
    h.append("<table>");
    row(
        h,
        "ready",
        text(s.get("ready")) + (s.path("ready").asBoolean() ? "" : ": ") + text(s.get("notReady")));
    row(
        h,
        "network namespace",
        s.path("netns").isNull() ? "(this process's)" : text(s.get("netns")));
    row(h, "store", text(s.path("store").get("description")));
    row(h, "store revision", text(s.path("store").get("revision")));
    row(h, "compiled revision", text(s.get("compiledRevision")));
    row(h, "rendered revision", text(s.get("renderedRevision")));
    row(h, "programmed revision", text(s.get("programmedRevision")));
    row(h, "revision at start", text(s.get("startRevision")));
    row(h, "last reconcile", text(s.get("lastReconcile")));
    row(h, "last report", text(s.get("lastReport")));
    row(h, "failures in a row", text(s.get("failures")));
    row(h, "last error", text(s.get("lastError")) + " " + text(s.get("lastErrorAt")));
    row(h, "node address", text(s.get("nodeAddress")));
    row(h, "MTU", text(s.get("mtu")));
    h.append("</table>");
    if (s.has("warnings") && s.get("warnings").size() > 0) {
      h.append("<h2>Warnings</h2><ul>");
      for (JsonNode w : s.get("warnings")) {
        h.append("<li class=\"bad\">").append(escape(w.asText())).append("</li>");
      }
      h.append("</ul>");
    }
    table(h, "Pod interfaces", s.get("pods"));
    table(h, "Networks", s.get("networks"));
    if (s.has("routes")) {
      h.append("<h2>Routes</h2>");
      Iterator<Map.Entry<String, JsonNode>> it = s.get("routes").fields();
      while (it.hasNext()) {
        Map.Entry<String, JsonNode> e = it.next();
        h.append("<h3>table ").append(escape(e.getKey())).append("</h3><pre>");
        for (JsonNode r : e.getValue()) {
          h.append(escape(r.asText())).append('\n');
        }
        h.append("</pre>");
      }
    }
    if (s.has("rules")) {
      h.append("<h2>Rules</h2><pre>");
      for (JsonNode r : s.get("rules")) {
        h.append(escape(r.asText())).append('\n');
      }
      h.append("</pre>");
    }
    if (s.has("nft")) {
      table(h, "nftables sets and maps", s.get("nft").get("sets"));
      table(h, "nftables chains", s.get("nft").get("chains"));
    }
    return h.append("</body></html>\n").toString();
  }

  private static void row(StringBuilder h, String name, String value) {
    h.append("<tr><th>")
        .append(escape(name))
        .append("</th><td>")
        .append(escape(value))
        .append("</td></tr>");
  }

  /** An array of flat objects as a table, the first object's fields as columns. */
  private static void table(StringBuilder h, String title, JsonNode rows) {
    h.append("<h2>").append(escape(title)).append("</h2>");
    if (rows == null || rows.size() == 0) {
      h.append("<p>none</p>");
      return;
    }
    h.append("<table><tr>");
    Iterator<String> names = rows.get(0).fieldNames();
    java.util.List<String> columns = new java.util.ArrayList<>();
    names.forEachRemaining(columns::add);
    for (String c : columns) {
      h.append("<th>").append(escape(c)).append("</th>");
    }
    h.append("</tr>");
    for (JsonNode r : rows) {
      h.append("<tr>");
      for (String c : columns) {
        h.append("<td>").append(escape(text(r.get(c)))).append("</td>");
      }
      h.append("</tr>");
    }
    h.append("</table>");
  }

  @Override
  public void close() {
    server.stop(0);
    executor.shutdownNow();
  }
}
