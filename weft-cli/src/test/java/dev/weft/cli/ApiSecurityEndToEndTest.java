package dev.weft.cli;

import static dev.weft.cli.CliRun.run;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import dev.weft.api.ConfigApiServer;
import dev.weft.api.security.ApiSecurity;
import dev.weft.api.security.BearerTokens;
import dev.weft.api.security.RateLimit;
import dev.weft.api.security.TlsIdentity;
import dev.weft.api.security.TokenFile;
import dev.weft.kube.ClusterConfig;
import dev.weft.store.memory.MemoryConfigStore;
import dev.weft.store.objects.ObjectStore;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.util.List;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The weft CLI against a secured config API: tokens from {@code --token-file}, HTTPS trusted with
 * {@code --ca-cert}, the rate limit's 429 retried, and {@code weft up} refusing unsafe settings
 * before it starts anything.
 */
class ApiSecurityEndToEndTest {
  private static final String WRITER = "writer-0123456789abcdef0123456789";
  private static final String READER = "reader-0123456789abcdef0123456789";

  @TempDir Path dir;

  private final MemoryConfigStore kv = new MemoryConfigStore();
  private final ObjectStore objects = new ObjectStore(kv);
  private ConfigApiServer server;

  @AfterEach
  void close() {
    if (server != null) {
      server.close();
    }
    objects.close();
    kv.close();
  }

  private Path privateFile(String name, String text) throws IOException {
    Path file = Files.writeString(dir.resolve(name), text);
    Files.setPosixFilePermissions(file, PosixFilePermissions.fromString("rw-------"));
    return file;
  }

  private Path serverTokens() throws IOException {
    return privateFile("tokens", READER + " read-only ci\n" + WRITER + " read-write ops\n");
  }

  private ConfigApiServer start(ApiSecurity security) {
    server = new ConfigApiServer(objects).withSecurity(security).start("127.0.0.1", 0);
    return server;
  }

  @Test
  void commandsSendTheirTokenOverHttpsTrustingTheGivenCertificate() throws Exception {
    Path[] tls = selfSignedCertificate();
    start(
        ApiSecurity.defaults()
            .withTokens(BearerTokens.of(TokenFile.read(serverTokens())))
            .withTls(new TlsIdentity(tls[0], tls[1])));
    Path token = privateFile("my-token", "# the CI's token\n" + READER + "\n");

    CliRun.Result ok =
        run(
            "get",
            "virtual-networks",
            "-o",
            "json",
            "--server",
            server.url(),
            "--token-file",
            token.toString(),
            "--ca-cert",
            tls[0].toString());
    CliRun.Result noToken =
        run("get", "virtual-networks", "--server", server.url(), "--ca-cert", tls[0].toString());
    CliRun.Result noCa =
        run("get", "virtual-networks", "--server", server.url(), "--token-file", token.toString());

    assertThat(server.url()).startsWith("https://");
    assertThat(ok.code()).as(ok.err()).isZero();
    assertThat(noToken.code()).isEqualTo(1);
    assertThat(noToken.err())
        .contains("this API needs a bearer token")
        .contains("give --token-file FILE or set WEFT_TOKEN_FILE");
    assertThat(noCa.code()).isEqualTo(1);
    assertThat(noCa.err()).contains("TLS with " + server.url()).contains("give --ca-cert FILE");
    assertThat(ok.out() + ok.err() + noToken.err() + noCa.err()).doesNotContain(READER);
  }

  @Test
  void aReadOnlyTokenCannotApply() throws Exception {
    start(ApiSecurity.defaults().withTokens(BearerTokens.of(TokenFile.read(serverTokens()))));
    Path token = privateFile("ro", READER + "\n");
    Path manifest =
        Files.writeString(
            dir.resolve("vn.yaml"),
            "apiVersion: weft/v1\nkind: VirtualNetwork\nmetadata: {name: vn-1, project: k8s-default}\n"
                + "spec: {subnets: [10.9.0.0/24]}\n");

    CliRun.Result r =
        run(
            "apply",
            "-f",
            manifest.toString(),
            "--server",
            server.url(),
            "--token-file",
            token.toString());

    assertThat(r.code()).isEqualTo(1);
    assertThat(r.err()).contains("token \"ci\" is read-only; POST /apply needs a read-write token");
  }

  @Test
  void tokensAreNeverSentInClearTextBeyondLoopback() {
    assertThatThrownBy(() -> new ServerClient("http://192.0.2.1:8082", READER, null))
        .isInstanceOf(IllegalArgumentException.class)
        .hasMessage(
            "refusing to send a bearer token in clear text to http://192.0.2.1:8082; use an"
                + " https:// server (weft up --tls-cert/--tls-key)");
    new ServerClient("http://127.0.0.1:8082", READER, null); // loopback: fine
    new ServerClient("https://192.0.2.1:8443", READER, null); // TLS: fine
    assertThatThrownBy(() -> new ServerClient("ftp://x", null, null))
        .hasMessageContaining("expected http://HOST:PORT or https://HOST:PORT");
  }

  @Test
  void aTokenFileOpenToEveryoneIsRefusedByTheClientToo() throws IOException {
    Path token = Files.writeString(dir.resolve("open"), READER + "\n");
    Files.setPosixFilePermissions(token, PosixFilePermissions.fromString("rw-r--r--"));

    CliRun.Result r = run("get", "virtual-networks", "--token-file", token.toString());

    assertThat(r.code()).isEqualTo(1);
    assertThat(r.err()).contains("token file " + token + " is open to every user");
  }

  @Test
  void aRateLimitedClientWaitsAsToldAndCarriesOn() throws Exception {
    start(ApiSecurity.defaults().withRateLimit(new RateLimit(2, 1)));
    ServerClient client = new ServerClient(server.url());

    for (int i = 0; i < 3; i++) {
      assertThat(client.get("/healthz").path("status").asText()).isEqualTo("ok");
    }
  }

  @Test
  void upRefusesToListenBeyondLoopbackWithoutTokensBeforeStartingAnything() {
    Path data = dir.resolve("data");

    CliRun.Result r = run("up", "--listen", "0.0.0.0:0", "--data-dir", data.toString());

    assertThat(r.code()).isEqualTo(1);
    assertThat(r.err())
        .contains("error: the config API would listen on 0.0.0.0, which other machines can reach");
    assertThat(data).doesNotExist();
  }

  @Test
  void upRefusesHalfATlsPairAndABadRateLimit() {
    Path data = dir.resolve("data");

    CliRun.Result half = run("up", "--tls-cert", "cert.pem", "--data-dir", data.toString());
    CliRun.Result rate = run("up", "--rate-limit", "lots", "--data-dir", data.toString());

    assertThat(half.err()).contains("--tls-cert and --tls-key go together");
    assertThat(rate.err()).contains("rate limit \"lots\": expected RATE[:BURST]");
    assertThat(data).doesNotExist();
  }

  @Test
  void weftServerServesItsApiWithTokensAndTls() throws Exception {
    Path[] tls = selfSignedCertificate();
    Path tokens = serverTokens();
    try (WeftServer weft =
        WeftServer.start(
            new WeftServer.Options(
                dir.resolve("weft"),
                "127.0.0.1",
                0,
                null,
                0,
                null,
                ClusterConfig.defaults(),
                List.of("node-1"),
                2,
                false,
                ApiSecurity.defaults()
                    .withTokens(BearerTokens.of(TokenFile.read(tokens)))
                    .withTls(new TlsIdentity(tls[0], tls[1]))))) {
      Path token = privateFile("w", WRITER + "\n");

      CliRun.Result ok =
          run(
              "get",
              "namespaces",
              "--server",
              weft.apiUrl(),
              "--token-file",
              token.toString(),
              "--ca-cert",
              tls[0].toString());
      CliRun.Result anonymous =
          run("get", "namespaces", "--server", weft.apiUrl(), "--ca-cert", tls[0].toString());

      assertThat(weft.apiUrl()).isEqualTo("https://127.0.0.1:" + weft.apiPort());
      assertThat(ok.code()).as(ok.err()).isZero();
      assertThat(ok.out()).contains("default");
      assertThat(anonymous.code()).isEqualTo(1);
    }
  }

  // ---- helpers ----

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
}
