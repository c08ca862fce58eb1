package dev.weft.cni;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.ByteArrayInputStream;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.net.StandardProtocolFamily;
import java.net.UnixDomainSocketAddress;
import java.nio.channels.ServerSocketChannel;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

/** Main's logic end to end, in-process, against a fake agent on a real Unix socket. */
class PluginTest {
  @TempDir Path dir;

  /** One run's exit code, stdout parsed as JSON (null when empty) and stderr. */
  record Run(int exit, Object stdout, String stderr) {
    @SuppressWarnings("unchecked")
    Map<String, Object> json() {
      return (Map<String, Object>) stdout;
    }
  }

  private Path socket() {
    return dir.resolve("cni.sock");
  }

  private String conf(String version, String extra) {
    return "{\"cniVersion\":\""
        + version
        + "\",\"name\":\"weft\",\"type\":\"weft-cni\",\"agentSocket\":\""
        + socket()
        + "\""
        + extra
        + "}";
  }

  static Run run(Map<String, String> env, String stdin) throws JsonException {
    ByteArrayOutputStream out = new ByteArrayOutputStream();
    ByteArrayOutputStream err = new ByteArrayOutputStream();
    int exit =
        Plugin.run(env, new ByteArrayInputStream(stdin.getBytes(StandardCharsets.UTF_8)), out, err);
    String text = out.toString(StandardCharsets.UTF_8);
    return new Run(
        exit, text.isEmpty() ? null : Json.parse(text), err.toString(StandardCharsets.UTF_8));
  }

  private static Map<String, String> env(String command) {
    Map<String, String> env = CallParserTest.addEnv();
    env.put("CNI_COMMAND", command);
    return env;
  }

  @Test
  void versionIsAnsweredLocallyWithoutReadingStdin() throws JsonException {
    ByteArrayOutputStream out = new ByteArrayOutputStream();
    int exit =
        Plugin.run(
            Map.of("CNI_COMMAND", "VERSION"),
            new java.io.InputStream() {
              @Override
              public int read() {
                throw new AssertionError("VERSION must not read stdin");
              }
            },
            out,
            OutputStreamSink.INSTANCE);
    assertThat(exit).isZero();
    assertThat(out.toString(StandardCharsets.UTF_8))
        .isEqualTo(
            "{\"cniVersion\":\"1.1.0\",\"supportedVersions\":"
                + "[\"0.3.0\",\"0.3.1\",\"0.4.0\",\"1.0.0\",\"1.1.0\"]}\n");
  }

  @Test
  void addForwardsTheCallPerProtocolAndPrintsTheResult() throws Exception {
    try (FakeAgent agent = FakeAgent.healthy(socket())) {
      Run run = run(env("ADD"), conf("1.0.0", ",\"timeoutSeconds\":30"));

      assertThat(run.exit()).isZero();
      assertThat(run.json()).containsEntry("cniVersion", "1.0.0").containsKey("interfaces");
      assertThat(agent.requests()).hasSize(1);
      Map<String, Object> request = agent.requests().get(0);
      assertThat(request)
          .containsEntry("command", "ADD")
          .containsEntry("containerId", "c1")
          .containsEntry("netns", "/var/run/netns/c1")
          .containsEntry("ifName", "eth0")
          .containsEntry("timeoutMs", 27_000L)
          .containsEntry(
              "args",
              Map.of(
                  "IgnoreUnknown", "1",
                  "K8S_POD_NAMESPACE", "dev",
                  "K8S_POD_NAME", "web-0",
                  "K8S_POD_UID", "u-1"));
      assertThat(request.get("config"))
          .isEqualTo(Json.parse(conf("1.0.0", ",\"timeoutSeconds\":30")));
    }
  }

  @ParameterizedTest
  @ValueSource(strings = {"0.3.0", "0.3.1", "0.4.0", "1.0.0", "1.1.0"})
  void addResultIsInTheConfigsVersion(String version) throws Exception {
    try (FakeAgent agent = FakeAgent.healthy(socket())) {
      Run run = run(env("ADD"), conf(version, ""));

      assertThat(run.exit()).isZero();
      assertThat(agent.requests()).hasSize(1);
      assertThat(run.json()).containsEntry("cniVersion", version);
      @SuppressWarnings("unchecked")
      List<Map<String, Object>> ips = (List<Map<String, Object>>) run.json().get("ips");
      if (version.startsWith("0.")) {
        assertThat(ips).extracting(ip -> ip.get("version")).containsExactly("4", "6");
      } else {
        assertThat(ips).allSatisfy(ip -> assertThat(ip).doesNotContainKey("version"));
      }
    }
  }

  @ParameterizedTest
  @ValueSource(strings = {"DEL", "CHECK", "STATUS", "GC"})
  void otherCommandsSucceedSilently(String command) throws Exception {
    try (FakeAgent agent = FakeAgent.healthy(socket())) {
      Run run = run(env(command), conf("1.1.0", ""));

      assertThat(run.exit()).isZero();
      assertThat(run.stdout()).isNull();
      assertThat(agent.requests())
          .singleElement()
          .satisfies(r -> assertThat(r).containsEntry("command", command));
    }
  }

  @Test
  void gcForwardsTheValidAttachments() throws Exception {
    try (FakeAgent agent = FakeAgent.healthy(socket())) {
      String conf =
          conf(
              "1.1.0",
              ",\"cni.dev/valid-attachments\":[{\"containerID\":\"c1\",\"ifname\":\"eth0\"}]");
      Run run = run(Map.of("CNI_COMMAND", "GC", "CNI_PATH", "/opt/cni/bin"), conf);

      assertThat(run.exit()).isZero();
      @SuppressWarnings("unchecked")
      Map<String, Object> config = (Map<String, Object>) agent.requests().get(0).get("config");
      assertThat(config.get("cni.dev/valid-attachments"))
          .isEqualTo(List.of(Map.of("containerID", "c1", "ifname", "eth0")));
      assertThat(agent.requests().get(0)).doesNotContainKeys("containerId", "ifName", "netns");
    }
  }

  @Test
  void agentFailureIsPrintedAsACniErrorInTheConfigsVersion() throws Exception {
    String failure =
        "{\"ok\":false,\"code\":100,\"msg\":\"pod interface not allocated\","
            + "\"details\":\"pod dev/web-0: no virtual machine interface on node n1 after 27 s\"}";
    try (FakeAgent agent = FakeAgent.start(socket(), request -> failure)) {
      Run run = run(env("ADD"), conf("0.4.0", ""));

      assertThat(agent.requests()).hasSize(1);
      assertThat(run.exit()).isEqualTo(1);
      assertThat(run.json())
          .containsExactly(
              Map.entry("cniVersion", "0.4.0"),
              Map.entry("code", 100L),
              Map.entry("msg", "pod interface not allocated"),
              Map.entry(
                  "details", "pod dev/web-0: no virtual machine interface on node n1 after 27 s"));
    }
  }

  @ParameterizedTest
  @ValueSource(
      strings = {
        "not json",
        "[]",
        "{\"result\":{}}",
        "{\"ok\":false,\"msg\":\"no code\"}",
        "{\"ok\":false,\"code\":-3}",
        "{\"ok\":true,\"result\":{\"ips\":3}}",
      })
  void answersThatBreakTheProtocolAreCode5(String answer) throws Exception {
    try (FakeAgent agent = FakeAgent.start(socket(), request -> answer)) {
      Run run = run(env("ADD"), conf("1.0.0", ""));

      assertThat(agent.requests()).hasSize(1);
      assertThat(run.exit()).isEqualTo(1);
      assertThat(run.json())
          .containsEntry("code", 5L)
          .containsEntry("msg", "invalid answer from the weft agent");
    }
  }

  @Test
  void agentNotRunningIsCode11NamingTheSocket() throws Exception {
    Run run = run(env("ADD"), conf("1.0.0", ""));

    assertThat(run.exit()).isEqualTo(1);
    assertThat(run.json()).containsEntry("code", 11L);
    assertThat((String) run.json().get("msg")).contains("try again later");
    assertThat((String) run.json().get("details"))
        .contains(socket().toString())
        .contains("the weft agent for this node is not running");
  }

  @Test
  void socketThatRefusesConnectionsIsCode11() throws Exception {
    // A bound socket nobody listens on: what a crashed agent leaves behind.
    ServerSocketChannel stale = ServerSocketChannel.open(StandardProtocolFamily.UNIX);
    stale.bind(UnixDomainSocketAddress.of(socket()));
    stale.close(); // closing does not unlink the socket file
    Run run = run(env("CHECK"), conf("1.0.0", ""));

    assertThat(run.json()).containsEntry("code", 11L);
    assertThat((String) run.json().get("details")).contains("connection refused");
  }

  @Test
  @org.junit.jupiter.api.Timeout(10)
  void agentThatStoppedAcceptingIsCode11WithinTheBound() throws Exception {
    // A stuck agent: listening, never accepting, its accept queue full. A blocking connect would
    // wait for ever; the plugin gives up at its bound.
    try (ServerSocketChannel stuck = ServerSocketChannel.open(StandardProtocolFamily.UNIX)) {
      stuck.bind(UnixDomainSocketAddress.of(socket()), 1);
      java.util.List<java.nio.channels.SocketChannel> queued = new java.util.ArrayList<>();
      try {
        while (queued.size() < 64) {
          java.nio.channels.SocketChannel c =
              java.nio.channels.SocketChannel.open(StandardProtocolFamily.UNIX);
          c.configureBlocking(false);
          queued.add(c);
          try {
            c.connect(UnixDomainSocketAddress.of(socket()));
          } catch (IOException full) {
            break; // the queue is full
          }
        }
        long start = System.nanoTime();
        Run run = run(env("ADD"), conf("1.0.0", ",\"timeoutSeconds\":0.3"));
        long took = (System.nanoTime() - start) / 1_000_000;

        assertThat(run.json()).containsEntry("code", 11L);
        assertThat((String) run.json().get("details"))
            .contains("no accepted connection within 300 ms");
        assertThat(took).isBetween(250L, 5_000L);
      } finally {
        for (var c : queued) {
          c.close();
        }
      }
    }
  }

  @Test
  void delSucceedsWithoutAnAgentButSaysSoOnStderr() throws Exception {
    Run run = run(env("DEL"), conf("1.0.0", ""));

    assertThat(run.exit()).isZero();
    assertThat(run.stdout()).isNull();
    assertThat(run.stderr())
        .contains("DEL c1")
        .contains("the weft agent for this node is not running")
        .contains(socket().toString());
  }

  @Test
  void agentThatDoesNotAnswerWithinTheBoundIsCode11() throws Exception {
    try (FakeAgent agent = FakeAgent.start(socket(), request -> null)) {
      Run run = run(env("ADD"), conf("1.0.0", ",\"timeoutSeconds\":0.3"));

      assertThat(run.exit()).isEqualTo(1);
      assertThat(run.json()).containsEntry("code", 11L);
      assertThat((String) run.json().get("details")).contains("within 300 ms");
      assertThat(agent.requests().get(0)).containsEntry("timeoutMs", 200L);
    }
  }

  @Test
  void agentClosingWithoutAnswerIsCode11() throws Exception {
    try (FakeAgent agent = FakeAgent.start(socket(), request -> "")) {
      Run run = run(env("ADD"), conf("1.0.0", ""));

      assertThat(agent.requests()).hasSize(1);
      assertThat(run.json()).containsEntry("code", 11L);
    }
  }

  @Test
  void missingEnvironmentIsCode4InTheConfigsVersion() throws Exception {
    Map<String, String> env = env("ADD");
    env.remove("CNI_IFNAME");
    Run run = run(env, conf("0.3.1", ""));

    assertThat(run.exit()).isEqualTo(1);
    assertThat(run.json())
        .containsEntry("cniVersion", "0.3.1")
        .containsEntry("code", 4L)
        .containsEntry("msg", "required environment variable CNI_IFNAME is missing");
  }

  @Test
  void missingCommandIsCode4() throws Exception {
    Run run = run(Map.of(), "");

    assertThat(run.json()).containsEntry("code", 4L).containsEntry("cniVersion", "1.1.0");
  }

  @Test
  void unparsableConfigIsCode6WithPosition() throws Exception {
    Run run = run(env("ADD"), "{\"cniVersion\":\"1.0.0\",\n\"name\":}");

    assertThat(run.exit()).isEqualTo(1);
    assertThat(run.json()).containsEntry("code", 6L);
    assertThat((String) run.json().get("details")).startsWith("stdin: line 2, column 8:");
  }

  @Test
  void invalidConfigIsCode7AndUnsupportedVersionCode1() throws Exception {
    assertThat(run(env("ADD"), "{\"cniVersion\":\"1.0.0\",\"type\":\"weft-cni\"}").json())
        .containsEntry("code", 7L);
    assertThat(run(env("ADD"), conf("0.1.0", "")).json()).containsEntry("code", 1L);
    assertThat(run(env("STATUS"), conf("1.0.0", "")).json())
        .containsEntry("code", 1L)
        .containsEntry("cniVersion", "1.0.0");
  }

  @Test
  void aBugInThePluginIsStillACniError() throws Exception {
    Map<String, String> env =
        new java.util.HashMap<>(env("ADD")) {
          @Override
          public String getOrDefault(Object key, String defaultValue) {
            throw new IllegalStateException("boom");
          }
        };
    Run run = run(env, conf("1.0.0", ""));

    assertThat(run.exit()).isEqualTo(1);
    assertThat(run.json())
        .containsEntry("code", 999L)
        .containsEntry("details", "java.lang.IllegalStateException: boom");
  }

  /** Discards what it is given. */
  private static final class OutputStreamSink extends java.io.OutputStream {
    static final OutputStreamSink INSTANCE = new OutputStreamSink();

    @Override
    public void write(int b) throws IOException {}
  }
}
