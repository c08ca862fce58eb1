package dev.weft.api;

import dev.weft.api.reach.Reachability;
import dev.weft.api.security.ApiSecurity;
import dev.weft.api.security.Principal;
import dev.weft.api.security.RateLimiter;
import dev.weft.api.security.TlsIdentity;
import dev.weft.store.ipam.Ipam;
import dev.weft.store.objects.ObjectStore;
import io.vertx.core.Vertx;
import io.vertx.core.VertxOptions;
import io.vertx.core.buffer.Buffer;
import io.vertx.core.file.FileSystemOptions;
import io.vertx.core.http.HttpMethod;
import io.vertx.core.http.HttpServer;
import io.vertx.core.http.HttpServerOptions;
import io.vertx.core.net.PemKeyCertOptions;
import io.vertx.ext.web.Route;
import io.vertx.ext.web.Router;
import io.vertx.ext.web.RoutingContext;
import io.vertx.ext.web.handler.BodyHandler;
import java.net.InetAddress;
import java.net.UnknownHostException;
import java.time.Clock;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.Set;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import java.util.function.Supplier;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Weft's REST config API server (Contrail style, port 8082 by default in {@code weft up}): reads of
 * every object, writes of user objects, weft/v1 apply and the Kubernetes passthrough.
 *
 * <p>Usage: {@code new ConfigApiServer(objects, gatewayOrNull).start("127.0.0.1", 8082)}, then
 * {@link #close()}. The server does not own the {@link ObjectStore}, the gateway or a given {@link
 * Ipam} and does not close them. Store calls run on Vert.x worker threads, never on the event loop.
 *
 * <p>Secure by default ({@link #withSecurity}): it serves a loopback address without tokens, but
 * refuses to listen on any other address unless bearer tokens are required, since the API writes
 * the network of a whole cluster. Every request is rate-limited per client and authenticated and
 * authorised ({@link Guard}, {@link Access}) before its body is read; bodies are limited in size.
 */
public final class ConfigApiServer implements AutoCloseable {
  /** Largest request body accepted by default; larger ones are answered 413. */
  public static final int MAX_BODY_BYTES = (int) ApiSecurity.DEFAULT_MAX_BODY_BYTES;

  private static final Logger log = LoggerFactory.getLogger(ConfigApiServer.class);
  private static final int WORKER_THREADS = 16;
  private static final long START_STOP_SECONDS = 30;

  private final ObjectStore store;
  private final KubernetesGateway gateway;
  private final Ipam sharedIpam;
  private Ipam ownIpam;
  private Reachability reachability;
  private Supplier<? extends Map<String, ?>> status = Map::of;
  private ApiSecurity security = ApiSecurity.defaults();
  private Clock clock = Clock.systemUTC();
  private Vertx vertx;
  private HttpServer server;
  private Router router;
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
   * What {@code GET /status} reports besides the store, such as the kube-manager's leadership (read
   * at every request). Call before {@link #start}.
   */
  public ConfigApiServer withStatus(Supplier<? extends Map<String, ?>> status) {
    this.status = Objects.requireNonNull(status, "status");
    return this;
  }

  /**
   * Tokens, TLS and limits to serve with (default {@link ApiSecurity#defaults()}). Call before
   * {@link #start}.
   */
  public synchronized ConfigApiServer withSecurity(ApiSecurity security) {
    this.security = Objects.requireNonNull(security, "security");
    return this;
  }

  /** The clock of the rate limiter and the certificate checks (tests use a fixed one). */
  public synchronized ConfigApiServer withClock(Clock clock) {
    this.clock = Objects.requireNonNull(clock, "clock");
    return this;
  }

  /**
   * Starts listening; returns once the port is bound.
   *
   * @param host the address to listen on; one that is not loopback needs tokens ({@link
   *     #withSecurity})
   * @param port the TCP port, or 0 to pick a free one (see {@link #port()})
   * @throws IllegalStateException when the server is already started, cannot listen, or would
   *     listen beyond loopback without tokens
   * @throws IllegalArgumentException when the TLS certificate or key cannot be used
   */
  public synchronized ConfigApiServer start(String host, int port) {
    if (vertx != null) {
      throw new IllegalStateException("the config API server is already started");
    }
    TlsIdentity.Loaded tls = preflight(host, security, clock);
    boolean loopback = isLoopback(host);
    HttpServerOptions options = new HttpServerOptions().setHost(host).setPort(port);
    if (tls != null) {
      options
          .setSsl(true)
          .setEnabledSecureTransportProtocols(Set.of("TLSv1.2", "TLSv1.3"))
          .setKeyCertOptions(
              new PemKeyCertOptions()
                  .setCertValue(Buffer.buffer(tls.certificatePem()))
                  .setKeyValue(Buffer.buffer(tls.privateKeyPem())));
    } else if (!loopback) {
      log.warn(
          "the config API on {} serves plain HTTP: bearer tokens and objects cross the network in"
              + " clear text; give it a TLS certificate and key",
          host);
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
      Router r = router(v, ipam);
      HttpServer s = v.createHttpServer(options).requestHandler(r);
      s.listen()
          .toCompletionStage()
          .toCompletableFuture()
          .get(START_STOP_SECONDS, TimeUnit.SECONDS);
      this.vertx = v;
      this.server = s;
      this.router = r;
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
    log.info(
        "config API listening on {} ({}; bodies up to {}; rate limit {} per client)",
        url(),
        security.requiresTokens()
            ? "bearer tokens required: "
                + security.tokens().size()
                + " from "
                + security.tokens().source()
            : "no token required on loopback",
        security.maxBodyText(),
        security.rateLimit());
    return this;
  }

  /**
   * Checks, without listening, that a server on {@code host} with {@code security} would start:
   * tokens are required beyond loopback, and the TLS files (if any) are usable. Callers that start
   * other things first call it to fail before them.
   *
   * @return the TLS identity read, or null without TLS
   * @throws IllegalStateException when {@code host} is not loopback and no token is required
   * @throws IllegalArgumentException when the TLS certificate or key cannot be used
   */
  public static TlsIdentity.Loaded preflight(String host, ApiSecurity security, Clock clock) {
    if (!isLoopback(host) && !security.requiresTokens()) {
      throw new IllegalStateException(
          "the config API would listen on "
              + host
              + ", which other machines can reach, without requiring tokens; give a token file"
              + " (weft up --token-file FILE, see the README's Security section) or listen on"
              + " 127.0.0.1");
    }
    return security.tls() == null ? null : security.tls().load(clock);
  }

  /**
   * Whether every address {@code host} names is a loopback address. Wildcards and names that do not
   * resolve are not: they need tokens.
   */
  static boolean isLoopback(String host) {
    String h =
        host.startsWith("[") && host.endsWith("]") ? host.substring(1, host.length() - 1) : host;
    try {
      InetAddress[] addresses = InetAddress.getAllByName(h);
      for (InetAddress a : addresses) {
        if (!a.isLoopbackAddress()) {
          return false;
        }
      }
      return addresses.length > 0;
    } catch (UnknownHostException e) {
      return false;
    }
  }

  /** The routes served, for tests that check each one is classified ({@link Access}). */
  synchronized List<Route> routes() {
    if (router == null) {
      throw new IllegalStateException("the config API server is not started");
    }
    return router.getRoutes();
  }

  /** The bound port; -1 before {@link #start}. */
  public synchronized int port() {
    return port;
  }

  /**
   * The URL clients use, such as {@code http://127.0.0.1:8082} or {@code https://10.0.0.5:8443}
   * (loopback for a wildcard host).
   */
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
    return (security.tls() != null ? "https://" : "http://") + h + ":" + port;
  }

  private synchronized String authority() {
    String url = url();
    return url.substring(url.indexOf("://") + 3);
  }

  private Router router(Vertx v, Ipam ipam) {
    Router router = Router.router(v);
    // Limit and authenticate first: a refused client costs no body buffering and no store work.
    router
        .route()
        .handler(new Guard(security.tokens(), new RateLimiter(security.rateLimit(), clock)));
    router.route().handler(ConfigApiServer::logWrites);
    router.route().handler(BodyHandler.create(false).setBodyLimit(security.maxBodyBytes()));
    new StatusEndpoints(store, status).register(router);
    new ObjectEndpoints(store, ipam, this::authority).register(router);
    new ApplyEndpoints(store).register(router);
    new KubernetesEndpoints(gateway).register(router);
    new ReachabilityEndpoints(reachability).register(router);
    new ForwardingEndpoints(reachability == null ? null : reachability.compiler()).register(router);
    router.route().failureHandler(this::failed);
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

  /**
   * Writes are logged with method, path, status and the name of the token that made them; bodies,
   * tokens and headers never are.
   */
  private static void logWrites(RoutingContext ctx) {
    HttpMethod method = ctx.request().method();
    String requestPath = ctx.request().path();
    boolean lookup = requestPath.equals("/fqname-to-id") || requestPath.equals("/id-to-fqname");
    if (!method.equals(HttpMethod.GET) && !method.equals(HttpMethod.HEAD) && !lookup) {
      String path = ctx.request().path();
      Principal principal = ctx.get(Guard.PRINCIPAL);
      String who = principal == null ? "?" : principal.name();
      long start = System.nanoTime();
      ctx.addBodyEndHandler(
          v ->
              log.info(
                  "{} {} -> {} ({} ms) by {}",
                  method,
                  path,
                  ctx.response().getStatusCode(),
                  TimeUnit.NANOSECONDS.toMillis(System.nanoTime() - start),
                  who));
    }
    ctx.next();
  }

  private void failed(RoutingContext ctx) {
    int status = ctx.statusCode();
    Throwable failure = ctx.failure();
    String message;
    if (status == 413) {
      message =
          "the request body is larger than "
              + security.maxBodyText()
              + "; send one object or document per request";
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
    router = null;
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
