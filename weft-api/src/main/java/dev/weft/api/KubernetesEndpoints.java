package dev.weft.api;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.weft.api.apply.WeftDocument;
import dev.weft.api.config.ApiException;
import io.vertx.ext.web.Router;
import io.vertx.ext.web.RoutingContext;
import java.util.NoSuchElementException;
import java.util.function.Supplier;

/**
 * {@code GET /k8s/{kind}}, {@code POST /k8s/apply} and {@code POST /k8s/delete}: the attached
 * cluster through {@link KubernetesGateway}; 503 when there is none.
 */
final class KubernetesEndpoints {
  private final KubernetesGateway gateway;

  KubernetesEndpoints(KubernetesGateway gateway) {
    this.gateway = gateway;
  }

  void register(Router router) {
    Endpoint.blocking(router.post("/k8s/apply"), ctx -> call(() -> apply(ctx)));
    Endpoint.blocking(router.post("/k8s/delete"), ctx -> call(() -> delete(ctx)));
    Endpoint.blocking(router.get("/k8s/:kind"), ctx -> call(() -> list(ctx)));
  }

  private Reply call(Supplier<Reply> work) {
    if (gateway == null) {
      throw ApiException.unavailable(
          "this Weft server is not attached to a Kubernetes cluster; start it with a kubeconfig"
              + " (or the embedded cluster) to use Kubernetes objects");
    }
    try {
      return work.get();
    } catch (ApiException e) {
      throw e;
    } catch (IllegalArgumentException e) {
      throw ApiException.badRequest(e.getMessage());
    } catch (NoSuchElementException e) {
      throw ApiException.notFound(e.getMessage());
    } catch (UnsupportedOperationException e) {
      throw ApiException.notImplemented(e.getMessage());
    } catch (RuntimeException e) {
      Endpoint.LOG.warn("Kubernetes API call failed", e);
      throw new ApiException(502, "Kubernetes API: " + e.getMessage());
    }
  }

  private Reply list(RoutingContext ctx) {
    String kind = ctx.pathParam("kind");
    if (!kind.matches("[a-z][a-z0-9]*")) {
      throw ApiException.badRequest(
          "kind \"" + kind + "\" must be a lower-case plural such as pods or services");
    }
    String namespace = Http.query(ctx, "namespace");
    if (namespace != null && namespace.isBlank()) {
      namespace = null;
    }
    return Reply.ok(gateway.list(kind, namespace));
  }

  private Reply apply(RoutingContext ctx) {
    return Reply.ok(gateway.apply(object(ctx)));
  }

  private Reply delete(RoutingContext ctx) {
    JsonNode object = object(ctx);
    boolean deleted = gateway.delete(object);
    ObjectNode out = Http.object();
    out.put("result", deleted ? "deleted" : "not found");
    out.put("kind", object.path("kind").asText());
    JsonNode meta = object.path("metadata");
    if (meta.hasNonNull("namespace")) {
      out.put("namespace", meta.get("namespace").asText());
    }
    out.put("name", meta.path("name").asText());
    return Reply.ok(out);
  }

  private static JsonNode object(RoutingContext ctx) {
    JsonNode body = Http.body(ctx);
    if (!body.isObject()) {
      throw ApiException.badRequest("the body must be one Kubernetes object (a JSON object)");
    }
    if (WeftDocument.API_VERSION.equals(body.path("apiVersion").asText())) {
      throw ApiException.badRequest(
          WeftDocument.API_VERSION + " objects are Weft's own; send them to /apply or /delete");
    }
    return body;
  }
}
