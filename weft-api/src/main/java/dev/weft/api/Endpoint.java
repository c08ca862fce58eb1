package dev.weft.api;

import dev.weft.api.config.ApiException;
import io.vertx.ext.web.Route;
import io.vertx.ext.web.RoutingContext;
import java.util.NoSuchElementException;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/** One route's work, run on a worker thread because it reads or writes the store. */
@FunctionalInterface
interface Endpoint {
  Logger LOG = LoggerFactory.getLogger(ConfigApiServer.class);

  Reply handle(RoutingContext ctx);

  /**
   * Runs {@code endpoint} off the event loop ({@code ordered=false}: requests on one connection do
   * not wait for each other) and answers its exceptions as JSON errors.
   */
  static void blocking(Route route, Endpoint endpoint) {
    route.blockingHandler(ctx -> Http.send(ctx, run(ctx, endpoint)), false);
  }

  private static Reply run(RoutingContext ctx, Endpoint endpoint) {
    try {
      return endpoint.handle(ctx);
    } catch (ApiException e) {
      return Reply.of(e.status(), Http.error(e.status(), e.getMessage()));
    } catch (IllegalArgumentException e) {
      return Reply.of(400, Http.error(400, e.getMessage()));
    } catch (NoSuchElementException e) {
      return Reply.of(404, Http.error(404, e.getMessage()));
    } catch (RuntimeException e) {
      LOG.error("{} {} failed", ctx.request().method(), ctx.request().path(), e);
      return Reply.of(
          500, Http.error(500, "internal error (" + e + "); the server log has the details"));
    }
  }
}
