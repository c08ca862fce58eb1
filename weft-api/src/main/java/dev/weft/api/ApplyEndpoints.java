package dev.weft.api;

import dev.weft.api.apply.Applier;
import dev.weft.api.apply.ApplyResult;
import dev.weft.store.objects.ObjectStore;
import io.vertx.ext.web.Router;

/** {@code POST /apply} and {@code POST /delete} of one weft/v1 document. */
final class ApplyEndpoints {
  private final Applier applier;

  ApplyEndpoints(ObjectStore store) {
    this.applier = new Applier(store);
  }

  void register(Router router) {
    Endpoint.blocking(router.post("/apply"), ctx -> reply(applier.apply(Http.body(ctx))));
    Endpoint.blocking(router.post("/delete"), ctx -> reply(applier.delete(Http.body(ctx))));
  }

  private static Reply reply(ApplyResult result) {
    return Reply.of(result.httpStatus(), result.toJson(Http.mapper()));
  }
}
