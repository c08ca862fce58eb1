package dev.weft.api;

import dev.weft.api.config.ApiException;
import dev.weft.api.reach.PortSpec;
import dev.weft.api.reach.Reachability;
import io.vertx.ext.web.Router;
import io.vertx.ext.web.RoutingContext;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;

/**
 * {@code GET
 * /probe?from=pods|external&to=pods|services&port=80/TCP&port=...&timeout=SECONDS[&real=true]}
 * ({@code real}: measured in the lab, 400 without one) and {@code GET
 * /trace?source=NS/POD|external&destination=NS/POD|service/NS/NAME|ADDRESS&port=80/TCP} (from
 * {@code external}, a service is traced through its first way in: a floating IP, else a node port;
 * an address may be a node's, with a node port as the port); 503 when the server has no forwarding
 * model.
 */
final class ReachabilityEndpoints {
  static final Duration DEFAULT_TIMEOUT = Duration.ofSeconds(60);

  private final Reachability reachability;

  ReachabilityEndpoints(Reachability reachability) {
    this.reachability = reachability;
  }

  void register(Router router) {
    Endpoint.blocking(router.get("/probe"), this::probe);
    Endpoint.blocking(router.get("/trace"), this::trace);
  }

  private Reachability require() {
    if (reachability == null) {
      throw ApiException.unavailable("this Weft server runs no forwarding model");
    }
    return reachability;
  }

  private Reply probe(RoutingContext ctx) {
    Reachability r = require();
    String from = choice(ctx, "from", "pods", "pods", "external");
    String to = choice(ctx, "to", "pods", "pods", "services");
    List<PortSpec> ports = new ArrayList<>();
    for (String p : ctx.queryParam("port")) {
      for (String one : p.split(",")) {
        if (!one.isBlank()) {
          ports.add(PortSpec.parse(one));
        }
      }
    }
    try {
      return Reply.ok(
          r.probe(
              new Reachability.ProbeRequest(
                  from,
                  to,
                  List.copyOf(ports),
                  timeout(ctx),
                  "true".equals(Http.query(ctx, "real")))));
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      throw ApiException.unavailable("interrupted while waiting for convergence");
    }
  }

  private Reply trace(RoutingContext ctx) {
    Reachability r = require();
    String source = required(ctx, "source");
    String destination = required(ctx, "destination");
    String port = Http.query(ctx, "port");
    try {
      return Reply.ok(
          r.trace(
              source,
              destination,
              port == null || port.isBlank() ? null : PortSpec.parse(port),
              timeout(ctx)));
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      throw ApiException.unavailable("interrupted while waiting for convergence");
    }
  }

  private static String required(RoutingContext ctx, String name) {
    String v = Http.query(ctx, name);
    if (v == null || v.isBlank()) {
      throw ApiException.badRequest("query parameter " + name + " is required");
    }
    return v;
  }

  private static String choice(RoutingContext ctx, String name, String dflt, String... allowed) {
    String v = Http.query(ctx, name);
    if (v == null || v.isBlank()) {
      return dflt;
    }
    for (String a : allowed) {
      if (a.equals(v)) {
        return v;
      }
    }
    throw ApiException.badRequest(
        name + " must be one of " + String.join(", ", allowed) + ", not \"" + v + "\"");
  }

  private static Duration timeout(RoutingContext ctx) {
    String v = Http.query(ctx, "timeout");
    if (v == null || v.isBlank()) {
      return DEFAULT_TIMEOUT;
    }
    try {
      double seconds = Double.parseDouble(v);
      if (seconds < 0 || seconds > 3600) {
        throw new NumberFormatException();
      }
      return Duration.ofMillis((long) (seconds * 1000));
    } catch (NumberFormatException e) {
      throw ApiException.badRequest("timeout is a number of seconds (0-3600), not \"" + v + "\"");
    }
  }
}
