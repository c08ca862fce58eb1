package dev.weft.api;

import dev.weft.api.reach.Reachability;
import dev.weft.store.ipam.Ipam;
import dev.weft.store.objects.ObjectStore;
import io.vertx.core.Vertx;
import io.vertx.core.VertxOptions;
import io.vertx.core.file.FileSystemOptions;
import io.vertx.core.http.HttpMethod;
import io.vertx.core.http.HttpServer;
import io.vertx.core.http.HttpServerOptions;
import io.vertx.ext.web.Router;
import io.vertx.ext.web.RoutingContext;
import io.vertx.ext.web.handler.BodyHandler;
import java.util.Objects;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Weft's REST config API server (Contrail style, port 8082 by default in {@code weft up}): reads of
 * every object, writes of user objects, weft/v1 apply and the Kubernetes passthrough.
 *
 * <p>Usage: {@code new ConfigApiServer(objects, gatewayOrNull).start("127.0.0.1", 8082)}, then
 * {@link #close()}. The server does not own the {@link ObjectStore}, the gateway or a given {@link
 * Ipam} and does not close them. Store calls run on Vert.x worker threads, never on the event loop.
 */
public final class ConfigApiServer implements AutoCloseable {
  /** Largest request body accepted; larger ones are answered 413. */
  public static final int MAX_BODY_BYTES = 1024 * 1024;

  private static final Logger log = LoggerFactory.getLogger(ConfigApiServer.class);
  private static final int WORKER_THREADS = 16;
  private static final long START_STOP_SECONDS = 30;

  private final ObjectStore store;
  private final KubernetesGateway gateway;
  private final Ipam sharedIpam;
  private Ipam ownIpam;
  private Reachability reachability;
  private Vertx vertx;
  private HttpServer server;
  private String host;
  private int port = -1;

  /** A server without a Kubernetes cluster: the {@code /k8s} routes answer 503. */
  public ConfigApiServer(ObjectStore store) {
    this(store, null);
  }

  /**
   * @param gateway the attached cluster for the {@code /k8s} routes, or null for none
   */
  public ConfigApiServer(ObjectStore store, KubernetesGateway gateway) {
    this(store, gateway, null);
  }

  /**
   * @param gateway the attached cluster for the {@code /k8s} routes, or null for none
   * @param ipam the IPAM floating-IP addresses are reserved with; pass the kube-manager's when it
   *     runs in the same process (its pending reservations are then shared); null makes the server
   *     open its own over {@code store.kv()}
   */
  public ConfigApiServer(ObjectStore store, KubernetesGateway gateway, Ipam ipam) {
    this.store = Objects.requireNonNull(store, "store");
    this.gateway = gateway;
    this.sharedIpam = ipam;
  }

  /**
   * Serves {@code /probe} and {@code /trace} with {@code reachability} (without it they answer
   * 503). Call before {@link #start}.
   */
  public ConfigApiServer withReachability(Reachability reachability) {
    this.reachability = reachability;
    return this;
  }

  /**
   * Starts listening; returns once the port is bound.
   *
   * @param port the TCP port, or 0 to pick a free one (see {@link #port()})
   * @throws IllegalStateException when the server is already started or cannot listen
   */
  public synchronized ConfigApiServer start(String host, int port) {
    if (vertx != null) {
      throw new IllegalStateException("the config API server is already started");
    }
    Vertx v =
        Vertx.vertx(
            new VertxOptions()
                .setEventLoopPoolSize(2)
                .setWorkerPoolSize(WORKER_THREADS)
                .setFileSystemOptions(
                    new FileSystemOptions()
                        .setFileCachingEnabled(false)
                        .setClassPathResolvingEnabled(false)));
    Ipam ipam = sharedIpam;
    try {
      if (ipam == null) {
        ipam = new Ipam(store.kv());
        ownIpam = ipam;
      }
      HttpServer s =
          v.createHttpServer(new HttpServerOptions().setHost(host).setPort(port))
              .requestHandler(router(v, ipam));
      s.listen()
          .toCompletionStage()
          .toCompletableFuture()
          .get(START_STOP_SECONDS, TimeUnit.SECONDS);
      this.vertx = v;
      this.server = s;
      this.host = host;
      this.port = s.actualPort();
    } catch (ExecutionException | TimeoutException | RuntimeException e) {
      closeQuietly(v);
      closeOwnIpam();
      Throwable cause = e instanceof ExecutionException ? e.getCause() : e;
      throw new IllegalStateException(
          "the config API cannot listen on " + host + ":" + port + ": " + cause.getMessage(),
          cause);
    } catch (InterruptedException e) {
      closeQuietly(v);
      closeOwnIpam();
      Thread.currentThread().interrupt();
      throw new IllegalStateException("interrupted while starting the config API", e);
    }
    log.info("config API listening on {}", url());
    return this;
  }

  /** The bound port; -1 before {@link #start}. */
  public synchronized int port() {
    return port;
  }

  /** The URL clients use, such as {@code http://127.0.0.1:8082} (loopback for a wildcard host). */
  public synchronized String url() {
    if (port < 0) {
      throw new IllegalStateException("the config API server is not started");
    }
    String h = host;
    if (h.equals("0.0.0.0") || h.equals("::") || h.equals("[::]")) {
      h = "127.0.0.1";
    } else if (h.indexOf(':') >= 0 && !h.startsWith("[")) {
      h = "[" + h + "]";
    }
    return "http://" + h + ":" + port;
  }

  private synchronized String authority() {
    return url().substring("http://".length());
  }

  private Router router(Vertx v, Ipam ipam) {
    Router router = Router.router(v);
    router.route().handler(ConfigApiServer::logWrites);
    router.route().handler(BodyHandler.create(false).setBodyLimit(MAX_BODY_BYTES));
    new ObjectEndpoints(store, ipam, this::authority).register(router);
    new ApplyEndpoints(store).register(router);
    new KubernetesEndpoints(gateway).register(router);
    new ReachabilityEndpoints(reachability).register(router);
    new ForwardingEndpoints(reachability == null ? null : reachability.compiler()).register(router);
    router.route().failureHandler(ConfigApiServer::failed);
    router.errorHandler(
        404,
        ctx ->
            Http.sendError(
                ctx,
                404,
                "no endpoint "
                    + ctx.request().method()
                    + " "
                    + ctx.request().path()
                    + "; GET / lists the collections"));
    router.errorHandler(
        405,
        ctx ->
            Http.sendError(
                ctx, 405, ctx.request().method() + " is not allowed on " + ctx.request().path()));
    return router;
  }

  /** Writes are logged with method, path and status; bodies never are. */
  private static void logWrites(RoutingContext ctx) {
    HttpMethod method = ctx.request().method();
    String requestPath = ctx.request().path();
    boolean lookup = requestPath.equals("/fqname-to-id") || requestPath.equals("/id-to-fqname");
    if (!method.equals(HttpMethod.GET) && !method.equals(HttpMethod.HEAD) && !lookup) {
      String path = ctx.request().path();
      long start = System.nanoTime();
      ctx.addBodyEndHandler(
          v ->
              log.info(
                  "{} {} -> {} ({} ms)",
                  method,
                  path,
                  ctx.response().getStatusCode(),
                  TimeUnit.NANOSECONDS.toMillis(System.nanoTime() - start)));
    }
    ctx.next();
  }

  private static void failed(RoutingContext ctx) {
    int status = ctx.statusCode();
    Throwable failure = ctx.failure();
    String message;
    if (status == 413) {
      message =
          "the request body is larger than "
              + (MAX_BODY_BYTES / (1024 * 1024))
              + " MiB; send one object or document per request";
    } else if (status > 0 && status < 500) {
      message =
          failure != null && failure.getMessage() != null
              ? failure.getMessage()
              : "request refused with status " + status;
    } else {
      status = 500;
      log.error("{} {} failed", ctx.request().method(), ctx.request().path(), failure);
      message = "internal error (" + failure + "); the server log has the details";
    }
    Http.sendError(ctx, status, message);
  }

  /** Stops listening and releases the threads; idempotent. */
  @Override
  public synchronized void close() {
    if (vertx == null) {
      return;
    }
    Vertx v = vertx;
    vertx = null;
    server = null;
    port = -1;
    closeQuietly(v);
    closeOwnIpam();
  }

  private void closeOwnIpam() {
    if (ownIpam != null) {
      ownIpam.close();
      ownIpam = null;
    }
  }

  private static void closeQuietly(Vertx v) {
    try {
      v.close().toCompletionStage().toCompletableFuture().get(START_STOP_SECONDS, TimeUnit.SECONDS);
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
    } catch (ExecutionException | TimeoutException e) {
      log.warn("the config API did not stop cleanly", e);
    }
  }
}
