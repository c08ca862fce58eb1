package dev.weft.api;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import ch.qos.logback.classic.Level;
import ch.qos.logback.classic.Logger;
import ch.qos.logback.classic.LoggerContext;
import ch.qos.logback.classic.spi.ILoggingEvent;
import ch.qos.logback.classic.spi.IThrowableProxy;
import ch.qos.logback.core.read.ListAppender;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.weft.api.security.ApiSecurity;
import dev.weft.api.security.BearerTokens;
import dev.weft.api.security.RateLimit;
import dev.weft.api.security.TlsIdentity;
import dev.weft.api.security.TokenFile;
import dev.weft.store.memory.MemoryConfigStore;
import dev.weft.store.objects.ObjectStore;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.io.UncheckedIOException;
import java.net.Inet4Address;
import java.net.InetAddress;
import java.net.NetworkInterface;
import java.net.Socket;
import java.net.SocketException;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.security.KeyStore;
import java.security.cert.CertificateFactory;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.time.ZoneOffset;
import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import java.util.Optional;
import java.util.concurrent.TimeUnit;
import javax.net.ssl.SSLContext;
import javax.net.ssl.TrustManagerFactory;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.slf4j.LoggerFactory;

/**
 * The config API's defences on a real listener: bearer tokens and roles, body size, malformed JSON,
 * rate limit, HTTPS, browser requests to a tokenless listener, and no token in any log line.
 */
class SecuredApiTest {
  private static final ObjectMapper JSON = new ObjectMapper();
  private static final String READER = "reader-0123456789abcdef0123456789";
  private static final String WRITER = "writer-0123456789abcdef0123456789";
  private static final String WRONG = "wrong-0123456789abcdef0123456789";
  private static final BearerTokens TOKENS =
      BearerTokens.of(
          TokenFile.parse(
              "# test tokens\n" + READER + " read-only ci-reader\n" + WRITER + " read-write ops\n",
              "test tokens"));

  @TempDir Path dir;

  private final MemoryConfigStore kv = new MemoryConfigStore();
  private final ObjectStore objects = new ObjectStore(kv);
  private final List<ConfigApiServer> servers = new ArrayList<>();
  private final HttpClient http = client(null);

  /** An HTTP answer with its body parsed as JSON. */
  private record Response(int status, JsonNode body, HttpResponse<String> raw) {
    String header(String name) {
      return raw.headers().firstValue(name).orElse(null);
    }

    String error() {
      return body.path("error").asText();
    }
  }

  @AfterEach
  void close() {
    servers.forEach(ConfigApiServer::close);
    objects.close();
    kv.close();
  }

  private ConfigApiServer start(String host, ApiSecurity security) {
    return start(host, security, Clock.systemUTC());
  }

  private ConfigApiServer start(String host, ApiSecurity security, Clock clock) {
    ConfigApiServer server =
        new ConfigApiServer(objects).withSecurity(security).withClock(clock).start(host, 0);
    servers.add(server);
    return server;
  }

  private static ApiSecurity withTokens() {
    return ApiSecurity.defaults().withTokens(TOKENS);
  }

  // ---- tokens and roles ----

  @Test
  void aListenerBeyondLoopbackWithoutTokensIsRefused() {
    ConfigApiServer server = new ConfigApiServer(objects);

    assertThatThrownBy(() -> server.start("0.0.0.0", 0))
        .isInstanceOf(IllegalStateException.class)
        .hasMessage(
            "the config API would listen on 0.0.0.0, which other machines can reach, without"
                + " requiring tokens; give a token file (weft up --token-file FILE, see the"
                + " README's Security section) or listen on 127.0.0.1");
    assertThat(server.port()).isEqualTo(-1);
  }

  @Test
  void unauthenticatedAndWrongTokenRequestsAreRefusedOnAWildcardListener() {
    ConfigApiServer server = start("0.0.0.0", withTokens());

    assertRefusesWithoutAValidToken(server.url());
  }

  @Test
  void unauthenticatedAndWrongTokenRequestsAreRefusedOnTheMachinesOwnAddress() {
    Optional<InetAddress> address = nonLoopbackAddress();
    assumeTrue(address.isPresent(), "this machine has no non-loopback IPv4 address");
    ConfigApiServer server = start(address.get().getHostAddress(), withTokens());

    assertThat(server.url())
        .isEqualTo("http://" + address.get().getHostAddress() + ":" + server.port());
    assertRefusesWithoutAValidToken(server.url());
  }

  @Test
  void aTokenFileOnLoopbackRequiresTokensThereToo() {
    ConfigApiServer server = start("127.0.0.1", withTokens());

    assertRefusesWithoutAValidToken(server.url());
  }

  private void assertRefusesWithoutAValidToken(String base) {
    Response none = send("GET", base + "/virtual-networks", null, null);
    Response wrong = send("GET", base + "/virtual-networks", WRONG, null);
    Response basic =
        send(
            HttpRequest.newBuilder(URI.create(base + "/virtual-networks"))
                .header("Authorization", "Basic b3BzOnNlY3JldA==")
                .GET());
    Response writeWithoutToken = send("POST", base + "/virtual-networks", null, "{}");
    Response good = send("GET", base + "/virtual-networks", READER, null);

    assertThat(none.status()).isEqualTo(401);
    assertThat(none.header("WWW-Authenticate")).isEqualTo("Bearer realm=\"weft\"");
    assertThat(none.error()).startsWith("this API needs a bearer token");
    assertThat(none.body().path("status").asInt()).isEqualTo(401);
    assertThat(wrong.status()).isEqualTo(401);
    assertThat(wrong.header("WWW-Authenticate"))
        .isEqualTo("Bearer realm=\"weft\", error=\"invalid_token\"");
    assertThat(wrong.error()).isEqualTo("the bearer token is not one this server accepts");
    assertThat(basic.status()).isEqualTo(401);
    assertThat(basic.error()).contains("not \"Bearer TOKEN\"");
    assertThat(writeWithoutToken.status()).isEqualTo(401);
    assertThat(good.status()).isEqualTo(200);
  }

  @Test
  void readOnlyTokensMayReadAndAskButNotWrite() {
    ConfigApiServer server = start("127.0.0.1", withTokens());
    String base = server.url();

    Response list = send("GET", base + "/virtual-networks", READER, null);
    Response lookup =
        send(
            "POST",
            base + "/fqname-to-id",
            READER,
            "{\"type\": \"virtual-network\", \"fq_name\": [\"default-domain\", \"p\", \"vn\"]}");
    Response create = send("POST", base + "/virtual-networks", READER, "{}");
    Response apply = send("POST", base + "/apply", READER, "{}");
    Response delete =
        send(
            "DELETE", base + "/virtual-network/00000000-0000-0000-0000-000000000001", READER, null);
    Response writerCreate = send("POST", base + "/virtual-networks", WRITER, "{}");

    assertThat(list.status()).isEqualTo(200);
    assertThat(lookup.status()).isEqualTo(404); // asked and answered: no such network
    assertThat(create.status()).isEqualTo(403);
    assertThat(create.error())
        .isEqualTo(
            "token \"ci-reader\" is read-only; POST /virtual-networks needs a read-write token");
    assertThat(create.header("WWW-Authenticate")).contains("error=\"insufficient_scope\"");
    assertThat(apply.status()).isEqualTo(403);
    assertThat(delete.status()).isEqualTo(403);
    assertThat(writerCreate.status()).isEqualTo(400); // past the guard, refused for its content
  }

  // ---- bodies ----

  @Test
  void oversizedBodiesAreRefusedWith413() {
    ConfigApiServer server = start("127.0.0.1", withTokens().withMaxBodyBytes(1024));
    String big = "{\"virtual-network\": {\"x\": \"" + "a".repeat(2048) + "\"}}";

    Response r = send("POST", server.url() + "/virtual-networks", WRITER, big);
    Response anonymous = send("POST", server.url() + "/virtual-networks", null, big);

    assertThat(r.status()).isEqualTo(413);
    assertThat(r.error())
        .isEqualTo(
            "the request body is larger than 1 KiB; send one object or document per request");
    assertThat(anonymous.status()).isEqualTo(401); // refused before its body is read
  }

  @Test
  void malformedJsonIsAnswered400WithWhatIsWrongAndWhere() {
    ConfigApiServer server = start("127.0.0.1", withTokens());

    Response r =
        send(
            "POST", server.url() + "/virtual-networks", WRITER, "{\"virtual-network\": {\"a\": }}");

    assertThat(r.status()).isEqualTo(400);
    assertThat(r.error())
        .startsWith("the body is not valid JSON: Unexpected character ('}'")
        .endsWith("(line 1, column 27)");
    assertThat(r.body().path("status").asInt()).isEqualTo(400);
  }

  // ---- rate limit ----

  @Test
  void aClientOverItsRateIsAnswered429WithRetryAfter() {
    Clock frozen = Clock.fixed(Instant.parse("2025-01-01T00:00:00Z"), ZoneOffset.UTC);
    ConfigApiServer server =
        start("127.0.0.1", ApiSecurity.defaults().withRateLimit(new RateLimit(1, 3)), frozen);

    List<Integer> statuses = new ArrayList<>();
    for (int i = 0; i < 3; i++) {
      statuses.add(send("GET", server.url() + "/healthz", null, null).status());
    }
    Response limited = send("GET", server.url() + "/healthz", null, null);

    assertThat(statuses).containsOnly(200);
    assertThat(limited.status()).isEqualTo(429);
    assertThat(limited.header("Retry-After")).isEqualTo("1");
    assertThat(limited.error())
        .isEqualTo(
            "too many requests from 127.0.0.1: the limit is 1 request/s, bursts of 3; retry after"
                + " 1 s");
  }

  @Test
  void guessingTokensIsRateLimitedToo() {
    Clock frozen = Clock.fixed(Instant.parse("2025-01-01T00:00:00Z"), ZoneOffset.UTC);
    ConfigApiServer server =
        start("127.0.0.1", withTokens().withRateLimit(new RateLimit(1, 2)), frozen);

    List<Integer> statuses = new ArrayList<>();
    for (int i = 0; i < 4; i++) {
      statuses.add(send("GET", server.url() + "/", WRONG + i, null).status());
    }

    assertThat(statuses).containsExactly(401, 401, 429, 429);
  }

  // ---- TLS ----

  @Test
  void httpsServesClientsThatTrustTheCertificateAndNoOthers() throws Exception {
    Path[] pair = selfSignedCertificate();
    ConfigApiServer server =
        start("127.0.0.1", withTokens().withTls(new TlsIdentity(pair[0], pair[1])));
    String url = server.url();

    Response trusted =
        send(
            client(trusting(pair[0])),
            HttpRequest.newBuilder(URI.create(url + "/healthz"))
                .header("Authorization", "Bearer " + READER)
                .GET());

    assertThat(url).isEqualTo("https://127.0.0.1:" + server.port());
    assertThat(trusted.status()).isEqualTo(200);
    assertThat(trusted.body().path("status").asText()).isEqualTo("ok");
    // The JDK's default trust store does not know a self-signed certificate.
    assertThatThrownBy(() -> http.send(request(url + "/healthz", READER), discard()))
        .isInstanceOf(IOException.class);
    // Plain HTTP on the TLS port gets no answer from the API.
    assertThatThrownBy(
            () ->
                http.send(
                    request("http://127.0.0.1:" + server.port() + "/healthz", READER), discard()))
        .isInstanceOf(IOException.class);
  }

  @Test
  void aPrivateKeyEveryUserCanReadIsRefused() throws Exception {
    Path[] pair = selfSignedCertificate();
    Files.setPosixFilePermissions(pair[1], PosixFilePermissions.fromString("rw-r--r--"));
    ConfigApiServer server =
        new ConfigApiServer(objects)
            .withSecurity(withTokens().withTls(new TlsIdentity(pair[0], pair[1])));

    assertThatThrownBy(() -> server.start("127.0.0.1", 0))
        .isInstanceOf(IllegalArgumentException.class)
        .hasMessageContaining("TLS private key " + pair[1] + " is open to every user");
  }

  @Test
  void aFileThatIsNotACertificateIsNamed() throws Exception {
    Path cert = Files.writeString(dir.resolve("cert.pem"), "not a certificate\n");
    Path key = Files.writeString(dir.resolve("key.pem"), "-----BEGIN PRIVATE KEY-----\n");
    Files.setPosixFilePermissions(key, PosixFilePermissions.fromString("rw-------"));
    ConfigApiServer server =
        new ConfigApiServer(objects).withSecurity(withTokens().withTls(new TlsIdentity(cert, key)));

    assertThatThrownBy(() -> server.start("127.0.0.1", 0))
        .isInstanceOf(IllegalArgumentException.class)
        .hasMessageContaining("TLS certificate " + cert);
  }

  // ---- browsers and a tokenless loopback listener ----

  @Test
  void requestsFromWebPagesToATokenlessListenerAreRefused() throws IOException {
    ConfigApiServer server = start("127.0.0.1", ApiSecurity.defaults());

    Response crossSite =
        send(
            HttpRequest.newBuilder(URI.create(server.url() + "/virtual-networks"))
                .header("Origin", "https://evil.example")
                .header("Content-Type", "text/plain")
                .POST(HttpRequest.BodyPublishers.ofString("{}")));
    String rebound = rawStatusLine(server.port(), "evil.example:" + server.port());
    String local = rawStatusLine(server.port(), "localhost:" + server.port());

    assertThat(crossSite.status()).isEqualTo(403);
    assertThat(crossSite.error()).contains("requests from web pages");
    assertThat(rebound).isEqualTo("HTTP/1.1 403 Forbidden");
    assertThat(local).isEqualTo("HTTP/1.1 200 OK");
  }

  // ---- logs ----

  @Test
  void tokensNeverReachTheLogs() {
    LoggerContext context = (LoggerContext) LoggerFactory.getILoggerFactory();
    Logger root = context.getLogger(org.slf4j.Logger.ROOT_LOGGER_NAME);
    Logger weft = context.getLogger("dev.weft");
    Level before = weft.getLevel();
    ListAppender<ILoggingEvent> captured = new ListAppender<>();
    captured.setContext(context);
    captured.start();
    root.addAppender(captured);
    weft.setLevel(Level.TRACE);
    try {
      ConfigApiServer server = start("127.0.0.1", withTokens());
      String base = server.url();
      send("POST", base + "/virtual-networks", WRITER, "{}"); // a logged write
      send("POST", base + "/virtual-networks", READER, "{}"); // refused: role
      send("GET", base + "/virtual-networks", WRONG, null); // refused: unknown token
      send("GET", base + "/virtual-networks?token=" + WRONG, null, null); // refused: no token
      send("POST", base + "/apply", WRITER, "{not json " + WRITER + "}"); // a failed write
      server.close();
    } finally {
      root.detachAppender(captured);
      weft.setLevel(before);
    }

    List<String> lines = new ArrayList<>();
    for (ILoggingEvent e : captured.list) {
      lines.add(e.getFormattedMessage());
      for (IThrowableProxy t = e.getThrowableProxy(); t != null; t = t.getCause()) {
        lines.add(t.getMessage());
      }
    }
    assertThat(lines).anyMatch(l -> l.contains("by ops")); // the write names its token's name
    assertThat(lines).anyMatch(l -> l.contains("unknown bearer token"));
    assertThat(lines).anyMatch(l -> l.contains("token \"ci-reader\" is read-only"));
    assertThat(String.join("\n", Collections.unmodifiableList(lines)))
        .doesNotContain(READER)
        .doesNotContain(WRITER)
        .doesNotContain(WRONG)
        .doesNotContain("Authorization:");
  }

  // ---- helpers ----

  private Response send(String method, String url, String token, String body) {
    HttpRequest.Builder b =
        HttpRequest.newBuilder(URI.create(url))
            .method(
                method,
                body == null
                    ? HttpRequest.BodyPublishers.noBody()
                    : HttpRequest.BodyPublishers.ofString(body));
    if (body != null) {
      b.header("Content-Type", "application/json");
    }
    if (token != null) {
      b.header("Authorization", "Bearer " + token);
    }
    return send(b);
  }

  private Response send(HttpRequest.Builder request) {
    return send(http, request);
  }

  private static Response send(HttpClient client, HttpRequest.Builder request) {
    try {
      HttpResponse<String> r =
          client.send(
              request.timeout(Duration.ofSeconds(30)).build(),
              HttpResponse.BodyHandlers.ofString());
      JsonNode body = r.body().isEmpty() ? JSON.nullNode() : JSON.readTree(r.body());
      return new Response(r.statusCode(), body, r);
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      throw new IllegalStateException(e);
    }
  }

  private static HttpRequest request(String url, String token) {
    return HttpRequest.newBuilder(URI.create(url))
        .header("Authorization", "Bearer " + token)
        .timeout(Duration.ofSeconds(30))
        .GET()
        .build();
  }

  private static HttpResponse.BodyHandler<Void> discard() {
    return HttpResponse.BodyHandlers.discarding();
  }

  private static HttpClient client(SSLContext ssl) {
    HttpClient.Builder b =
        HttpClient.newBuilder()
            .version(HttpClient.Version.HTTP_1_1)
            .connectTimeout(Duration.ofSeconds(10));
    if (ssl != null) {
      b.sslContext(ssl);
    }
    return b.build();
  }

  private static SSLContext trusting(Path certificate) throws Exception {
    KeyStore store = KeyStore.getInstance(KeyStore.getDefaultType());
    store.load(null, null);
    try (InputStream in = Files.newInputStream(certificate)) {
      store.setCertificateEntry(
          "weft", CertificateFactory.getInstance("X.509").generateCertificate(in));
    }
    TrustManagerFactory tmf =
        TrustManagerFactory.getInstance(TrustManagerFactory.getDefaultAlgorithm());
    tmf.init(store);
    SSLContext ssl = SSLContext.getInstance("TLS");
    ssl.init(null, tmf.getTrustManagers(), null);
    return ssl;
  }

  /** {certificate, private key} for 127.0.0.1 and localhost, made by openssl (else skipped). */
  private Path[] selfSignedCertificate() throws Exception {
    Path cert = dir.resolve("cert.pem");
    Path key = dir.resolve("key.pem");
    Process p;
    try {
      p =
          new ProcessBuilder(
                  "openssl",
                  "req",
                  "-x509",
                  "-newkey",
                  "rsa:2048",
                  "-nodes",
                  "-keyout",
                  key.toString(),
                  "-out",
                  cert.toString(),
                  "-days",
                  "2",
                  "-subj",
                  "/CN=localhost",
                  "-addext",
                  "subjectAltName=IP:127.0.0.1,DNS:localhost")
              .redirectErrorStream(true)
              .redirectOutput(dir.resolve("openssl.log").toFile())
              .start();
    } catch (IOException e) {
      assumeTrue(false, "openssl is not installed: " + e.getMessage());
      throw e;
    }
    assumeTrue(p.waitFor(60, TimeUnit.SECONDS) && p.exitValue() == 0, "openssl req failed");
    Files.setPosixFilePermissions(key, PosixFilePermissions.fromString("rw-------"));
    return new Path[] {cert, key};
  }

  /** The status line of a GET / sent with {@code host} as its Host header. */
  private static String rawStatusLine(int port, String host) throws IOException {
    try (Socket socket = new Socket(InetAddress.getLoopbackAddress(), port)) {
      socket.setSoTimeout(10_000);
      OutputStream out = socket.getOutputStream();
      out.write(
          ("GET / HTTP/1.1\r\nHost: " + host + "\r\nConnection: close\r\n\r\n")
              .getBytes(StandardCharsets.US_ASCII));
      out.flush();
      String response = new String(socket.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
      return response.substring(0, response.indexOf("\r\n"));
    }
  }

  private static Optional<InetAddress> nonLoopbackAddress() {
    try {
      return NetworkInterface.networkInterfaces()
          .filter(
              i -> {
                try {
                  return i.isUp() && !i.isLoopback();
                } catch (SocketException e) {
                  return false;
                }
              })
          .flatMap(NetworkInterface::inetAddresses)
          .filter(
              a -> a instanceof Inet4Address && !a.isLoopbackAddress() && !a.isLinkLocalAddress())
          .findFirst();
    } catch (SocketException e) {
      return Optional.empty();
    }
  }
}
