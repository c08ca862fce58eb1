package dev.weft.api;

import dev.weft.api.security.BearerTokens;
import dev.weft.api.security.Principal;
import dev.weft.api.security.RateLimiter;
import dev.weft.api.security.Role;
import io.vertx.core.Handler;
import io.vertx.core.http.HttpServerRequest;
import io.vertx.core.net.SocketAddress;
import io.vertx.ext.web.RoutingContext;
import java.net.InetAddress;
import java.net.UnknownHostException;
import java.util.Arrays;
import java.util.Locale;
import java.util.Optional;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The first handler of every request: rate-limits the client, then authenticates the bearer token
 * and checks its role against what the request needs ({@link Access}), before any body is read.
 *
 * <p>Answers 429 with {@code Retry-After}, 401 with {@code WWW-Authenticate: Bearer} (RFC 6750) and
 * 403 for a token whose role is too weak. Clients are told apart by remote address (an IPv6 client
 * by its /64, which one host usually owns whole), not by token: limiting before authentication is
 * what slows down someone guessing tokens. Neither the token nor the {@code Authorization} header
 * is ever logged or echoed; logs name the token's name from the token file.
 *
 * <p>Without tokens (loopback only) every caller is {@link Principal#LOCAL}, except requests that
 * look as if a browser sent them for a web site ({@link #foreign}).
 */
final class Guard implements Handler<RoutingContext> {
  /** The {@link Principal} of the request, in the routing context's data. */
  static final String PRINCIPAL = "weft.principal";

  private static final Logger log = LoggerFactory.getLogger(ConfigApiServer.class);
  private static final String REALM = "Bearer realm=\"weft\"";

  private final BearerTokens tokens;
  private final RateLimiter limiter;

  /**
   * @param tokens the accepted tokens, or null to let every caller in as {@link Principal#LOCAL}
   */
  Guard(BearerTokens tokens, RateLimiter limiter) {
    this.tokens = tokens;
    this.limiter = limiter;
  }

  @Override
  public void handle(RoutingContext ctx) {
    HttpServerRequest request = ctx.request();
    String client = client(request.remoteAddress());
    RateLimiter.Decision decision = limiter.acquire(client);
    if (!decision.allowed()) {
      long seconds = Math.max(1, (decision.retryAfter().toMillis() + 999) / 1000);
      refuse(
          ctx,
          Reply.of(
                  429,
                  Http.error(
                      429,
                      "too many requests from "
                          + client
                          + ": the limit is "
                          + limiter.limit()
                          + "; retry after "
                          + seconds
                          + " s"))
              .withHeader("Retry-After", Long.toString(seconds)));
      return;
    }
    Principal principal;
    if (tokens == null) {
      String foreign = foreign(request);
      if (foreign != null) {
        log.warn("refused {} {} from {}: {}", request.method(), request.path(), client, foreign);
        refuse(ctx, Reply.of(403, Http.error(403, foreign)));
        return;
      }
      principal = Principal.LOCAL;
    } else {
      Optional<Principal> found = authenticate(ctx, client);
      if (found.isEmpty()) {
        return;
      }
      principal = found.get();
    }
    Role needed = Access.required(request.method(), ctx.normalizedPath());
    if (!principal.role().allows(needed)) {
      log.warn(
          "refused {} {} from {}: token \"{}\" is {}",
          request.method(),
          request.path(),
          client,
          principal.name(),
          principal.role());
      refuse(
          ctx,
          Reply.of(
                  403,
                  Http.error(
                      403,
                      "token \""
                          + principal.name()
                          + "\" is "
                          + principal.role()
                          + "; "
                          + request.method()
                          + " "
                          + request.path()
                          + " needs a "
                          + needed
                          + " token"))
              .withHeader("WWW-Authenticate", REALM + ", error=\"insufficient_scope\""));
      return;
    }
    ctx.put(PRINCIPAL, principal);
    ctx.next();
  }

  private Optional<Principal> authenticate(RoutingContext ctx, String client) {
    HttpServerRequest request = ctx.request();
    String header = request.getHeader("Authorization");
    if (header == null || header.isBlank()) {
      refuse(
          ctx,
          Reply.of(
                  401,
                  Http.error(
                      401, "this API needs a bearer token: send Authorization: Bearer TOKEN"))
              .withHeader("WWW-Authenticate", REALM));
      return Optional.empty();
    }
    String token = bearer(header);
    if (token == null) {
      refuse(
          ctx,
          Reply.of(
                  401,
                  Http.error(
                      401,
                      "the Authorization header is not \"Bearer TOKEN\"; this API takes bearer"
                          + " tokens only"))
              .withHeader("WWW-Authenticate", REALM + ", error=\"invalid_request\""));
      return Optional.empty();
    }
    Optional<Principal> principal = tokens.authenticate(token);
    if (principal.isEmpty()) {
      log.warn(
          "refused {} {} from {}: unknown bearer token", request.method(), request.path(), client);
      refuse(
          ctx,
          Reply.of(401, Http.error(401, "the bearer token is not one this server accepts"))
              .withHeader("WWW-Authenticate", REALM + ", error=\"invalid_token\""));
    }
    return principal;
  }

  /**
   * Why a request to a listener without tokens may come from a web page rather than from a program
   * on this machine, or null. Such a listener trusts whoever can connect, and a browser can connect
   * on behalf of any web site: a cross-site request carries an {@code Origin} header, and a DNS
   * rebinding attack a {@code Host} that is not a loopback name. Weft has no web UI, so neither is
   * ever legitimate. Bearer tokens defeat both (a browser does not attach them on its own).
   */
  static String foreign(HttpServerRequest request) {
    String origin = request.getHeader("Origin");
    if (origin != null) {
      return "requests from web pages (Origin "
          + origin
          + ") are refused by a config API without tokens";
    }
    String host = request.authority() == null ? null : request.authority().host();
    if (host != null && !host.isEmpty() && !loopbackName(host)) {
      return "Host \""
          + host
          + "\" is not a loopback address or localhost; address this API as 127.0.0.1, [::1] or"
          + " localhost";
    }
    return null;
  }

  /** localhost, or a loopback address literal; never resolves a name (rebinding would fool it). */
  static boolean loopbackName(String host) {
    String h = host.toLowerCase(Locale.ROOT);
    if (h.startsWith("[") && h.endsWith("]")) {
      h = h.substring(1, h.length() - 1);
    }
    if (h.equals("localhost") || h.endsWith(".localhost")) {
      return true;
    }
    boolean literal = h.indexOf(':') >= 0 || h.matches("[0-9]{1,3}(\\.[0-9]{1,3}){3}");
    if (!literal) {
      return false;
    }
    try {
      return InetAddress.getByName(h).isLoopbackAddress(); // a literal: no name lookup
    } catch (UnknownHostException e) {
      return false;
    }
  }

  /** The token of {@code Bearer TOKEN} (the scheme in any case), or null. */
  static String bearer(String header) {
    String h = header.strip();
    int space = h.indexOf(' ');
    if (space < 0 || !h.substring(0, space).toLowerCase(Locale.ROOT).equals("bearer")) {
      return null;
    }
    String token = h.substring(space + 1).strip();
    return token.isEmpty() || token.indexOf(' ') >= 0 ? null : token;
  }

  /** The rate-limited unit: the IPv4 address, or the /64 of an IPv6 address. */
  static String client(SocketAddress remote) {
    if (remote == null || remote.hostAddress() == null) {
      return "unknown";
    }
    String host = remote.hostAddress();
    if (host.indexOf(':') < 0) {
      return host;
    }
    try {
      byte[] bytes = InetAddress.getByName(host).getAddress(); // a literal: no name lookup
      if (bytes.length != 16) {
        return host;
      }
      byte[] prefix = Arrays.copyOf(bytes, 16);
      Arrays.fill(prefix, 8, 16, (byte) 0);
      return InetAddress.getByAddress(prefix).getHostAddress() + "/64";
    } catch (UnknownHostException e) {
      return host;
    }
  }

  private static void refuse(RoutingContext ctx, Reply reply) {
    // The body of a refused request is never read; close the connection rather than drain it.
    ctx.response().putHeader("Connection", "close");
    Http.send(ctx, reply);
  }
}
