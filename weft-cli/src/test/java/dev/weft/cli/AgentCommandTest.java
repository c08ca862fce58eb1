package dev.weft.cli;

import static dev.weft.cli.CliRun.run;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.time.Duration;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** {@code weft agent}'s flags: what it accepts, and what it says about what it does not. */
class AgentCommandTest {
  @TempDir Path dir;

  @Test
  void durationsInTheFormsPeopleWrite() {
    assertThat(AgentCommand.parseDuration("500ms")).isEqualTo(Duration.ofMillis(500));
    assertThat(AgentCommand.parseDuration("10s")).isEqualTo(Duration.ofSeconds(10));
    assertThat(AgentCommand.parseDuration("2m")).isEqualTo(Duration.ofMinutes(2));
    assertThat(AgentCommand.parseDuration("1h")).isEqualTo(Duration.ofHours(1));
    assertThat(AgentCommand.parseDuration("PT15S")).isEqualTo(Duration.ofSeconds(15));
    for (String bad : new String[] {"", "10", "0s", "-1s", "ten seconds", "PTx"}) {
      assertThatThrownBy(() -> AgentCommand.parseDuration(bad))
          .as(bad)
          .hasMessageContaining("expected a positive duration such as 500ms, 10s");
    }
  }

  @Test
  void theNodeIsRequired() {
    CliRun.Result r = run("agent");
    assertThat(r.code()).isEqualTo(2);
    assertThat(r.err()).contains("Missing required option: '--node=NAME'");
  }

  @Test
  void aBadIntervalIsRefusedSayingWhatIsExpected() {
    CliRun.Result r = run("agent", "--node", "node-1", "--reconcile-interval", "soon");
    assertThat(r.code()).isEqualTo(2);
    assertThat(r.err())
        .contains("--reconcile-interval")
        .contains("expected a positive duration such as 500ms, 10s, 2m, 1h or PT10S");
  }

  @Test
  void aMissingStoreIsAnErrorNotANewEmptyStore() {
    CliRun.Result r = run("agent", "--node", "node-1", "--data-dir", dir.toString());
    assertThat(r.code()).isEqualTo(1);
    assertThat(r.err())
        .contains("no Weft store at " + dir.resolve("weft.db"))
        .contains("start `weft up` (with the same --data-dir) first, or give --store");
    assertThat(dir.resolve("weft.db")).doesNotExist();
  }

  @Test
  void aTooSmallMtuIsRefused() {
    CliRun.Result r =
        run("agent", "--node", "node-1", "--mtu", "1000", "--data-dir", dir.toString());
    assertThat(r.code()).isEqualTo(1);
    assertThat(r.err()).contains("an MTU below 1280 cannot carry IPv6: 1000");
  }

  @Test
  void anUnknownNetworkNamespaceIsRefused() {
    CliRun.Result r =
        run("agent", "--node", "node-1", "--netns", "weft-no-such-ns-x", "--teardown");
    assertThat(r.code()).isEqualTo(1);
    assertThat(r.err())
        .contains("--netns weft-no-such-ns-x: no such network namespace (see `ip netns list`)");
  }

  @Test
  void aBadIntrospectionAddressIsRefused() {
    CliRun.Result r =
        run("agent", "--node", "node-1", "--introspect", "host:port", "--data-dir", dir.toString());
    assertThat(r.code()).isEqualTo(1);
    assertThat(r.err()).contains("--introspect host:port: expected HOST:PORT");
  }

  @Test
  void withExitWithParentTheAgentStopsWhenItsStarterDies() throws Exception {
    Path db = dir.resolve("weft.db");
    dev.weft.store.sqlite.SqliteConfigStore.open(db).close();
    java.util.List<String> argv = new java.util.ArrayList<>();
    argv.add(ProcessHandle.current().info().command().orElse("java"));
    argv.addAll(java.util.List.of("-Xmx96m", "-XX:TieredStopAtLevel=1", "-XX:+UseSerialGC"));
    argv.addAll(
        java.util.List.of("-cp", System.getProperty("java.class.path"), Main.class.getName()));
    argv.addAll(
        java.util.List.of(
            "agent",
            "--node",
            "node-1",
            "--store",
            "sqlite:" + db,
            "--cni-socket",
            dir.resolve("cni.sock").toString(),
            "--introspect",
            "off",
            "--exit-with-parent"));
    StringBuilder command = new StringBuilder();
    for (String a : argv) {
      command.append('\'').append(a.replace("'", "'\\''")).append("' ");
    }
    // A starter that dies: sh starts the agent in the background, says its pid, and exits once the
    // agent serves (as a supervisor killed with SIGKILL would leave it: an orphan).
    Path log = dir.resolve("agent.log");
    Process starter =
        new ProcessBuilder(
                "sh",
                "-c",
                command
                    + "> '"
                    + log
                    + "' 2>&1 & echo $!; "
                    + "for i in $(seq 1 200); do grep -q serving '"
                    + log
                    + "' 2>/dev/null && exit 0; sleep 0.1; done; exit 1")
            .redirectErrorStream(true)
            .start();
    String pid = new String(starter.getInputStream().readNBytes(32), StandardCharsets.UTF_8);
    ProcessHandle agent =
        ProcessHandle.of(Long.parseLong(pid.strip().split("\\s+")[0])).orElseThrow();
    try {
      assertThat(starter.waitFor())
          .as("the agent started: %s", java.nio.file.Files.readString(log))
          .isZero();
      org.awaitility.Awaitility.await()
          .atMost(Duration.ofSeconds(20))
          .until(() -> !agent.isAlive());
      assertThat(java.nio.file.Files.readString(log)).contains("exited; stopping");
    } finally {
      agent.destroyForcibly();
    }
  }

  @Test
  void helpListsTheFlags() {
    CliRun.Result r = run("help", "agent");
    assertThat(r.code()).isZero();
    assertThat(r.out())
        .contains("--node=NAME")
        .contains("--cni-socket=PATH")
        .contains("--introspect=HOST:PORT")
        .contains("--reconcile-interval=DURATION")
        .contains("--teardown")
        .contains("--exit-with-parent");
  }
}
