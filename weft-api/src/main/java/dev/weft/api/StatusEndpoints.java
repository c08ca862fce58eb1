package dev.weft.api;

import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.weft.store.objects.ObjectStore;
import java.util.Map;
import java.util.function.Supplier;

/**
 * {@code GET /status}: what this Weft process is doing, for people and scripts telling several
 * processes on one store apart: the store ({@code describe}, {@code revision}) and whatever the
 * process adds, such as its kube-manager's leadership ({@code {"kubeManager": {"leader": true,
 * "holder": ...}}}).
 */
final class StatusEndpoints {
  private final ObjectStore store;
  private final Supplier<? extends Map<String, ?>> extra;

  StatusEndpoints(ObjectStore store, Supplier<? extends Map<String, ?>> extra) {
    this.store = store;
    this.extra = extra;
  }

  void register(io.vertx.ext.web.Router router) {
    Endpoint.blocking(router.get("/status"), ctx -> status());
  }

  private Reply status() {
    ObjectNode out = Http.object();
    ObjectNode s = out.putObject("store");
    s.put("describe", store.kv().describe());
    s.put("revision", store.kv().revision());
    s.put("cacheRevision", store.cache().revision());
    extra.get().forEach((k, v) -> out.set(k, Http.mapper().valueToTree(v)));
    return Reply.ok(out);
  }
}
