package dev.weft.agent.linux;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.weft.agent.CommandFailedException;
import dev.weft.agent.ProcessShell;
import dev.weft.agent.Shell;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

/** {@link LinuxNode} over a fake shell: which commands run where, and what a failure says. */
class LinuxNodeTest {
  private final Scenario s = new Scenario().build();

  @AfterEach
  void close() {
    s.close();
  }

  /** A node with nothing of Weft's; {@code nft -f} fails on its input line 2 when asked to. */
  private static final class FakeShell implements Shell {
    final List<Result> ran = new ArrayList<>();
    boolean nftFails;

    @Override
    public Result run(List<String> argv, String stdin, Duration timeout) {
      Result r;
      if (argv.contains("nft") && argv.contains("list")) {
        r =
            new Result(
                argv, stdin, 1, "", "Error: No such file or directory\nlist table inet weft\n");
      } else if (argv.contains("nft") && nftFails) {
        r =
            new Result(
                argv,
                stdin,
                1,
                "",
                "/dev/stdin:2:1-20: Error: Could not process rule: No such file or directory\n");
      } else if (argv.contains("-j")) {
        r = new Result(argv, stdin, 0, "[]", "");
      } else {
        r = new Result(argv, stdin, 0, "", "");
      }
      ran.add(r);
      return r;
    }

    List<String> writes() {
      return ran.stream()
          .filter(r -> r.stdin() != null || r.argv().contains("sysctl"))
          .map(r -> String.join(" ", r.argv()))
          .toList();
    }
  }

  @Test
  void aNodeIsProgrammedInsideItsNamespaceWithFourWritesAtMost() {
    FakeShell shell = new FakeShell();
    LinuxNode node = new LinuxNode(Scenario.NODE1, shell, "ns-1");
    NodeState state = s.render(Scenario.NODE1);
    ReconcileReport r = node.reconcile(state);
    StringBuilder sysctls = new StringBuilder("net.ipv4.conf.all.rp_filter=0");
    state.networks().stream()
        .map(NodeState.Network::device)
        .sorted()
        .forEach(d -> sysctls.append(" net.ipv4.conf.").append(d).append(".rp_filter=0"));
    assertThat(shell.writes())
        .containsExactly(
            "ip -n ns-1 -force -batch -",
            "ip netns exec ns-1 sysctl -q -w "
                + sysctls
                + " net.ipv4.fwmark_reflect=1 net.ipv4.ip_forward=1",
            "bridge -n ns-1 -force -batch -",
            "ip netns exec ns-1 nft -f -");
    assertThat(r.writes()).isEqualTo(4);
    assertThat(r.reads()).isEqualTo(9);
    assertThat(r.waiting()).hasSize(3); // the CNI has not made the pods' veths
    assertThat(shell.ran)
        .allSatisfy(
            c ->
                assertThat(String.join(" ", c.argv()))
                    .matches("^(ip -n ns-1|bridge -n ns-1|ip netns exec ns-1) .*"));
  }

  @Test
  void aFailedStepNamesTheCommandAndTheInputLineAndTheOtherStepsStillApply() {
    FakeShell shell = new FakeShell();
    shell.nftFails = true;
    LinuxNode node = new LinuxNode(Scenario.NODE1, shell, "ns-1");
    NodeState state = s.render(Scenario.NODE1);
    String line2 = state.nft().script().lines().skip(1).findFirst().orElseThrow();
    assertThatThrownBy(() -> node.reconcile(state))
        .isInstanceOf(ReconcileException.class)
        .hasMessageContaining("node node-1: 1 step(s) of the reconcile failed")
        .hasMessageContaining("command `ip netns exec ns-1 nft -f -` exited with status 1")
        .hasMessageContaining("Could not process rule: No such file or directory")
        .hasMessageContaining("failing input line(s):\n  2: " + line2)
        .satisfies(e -> assertThat(((ReconcileException) e).report().writes()).isEqualTo(4));
  }

  @Test
  void aCommandThatHangsIsKilledAndOneThatDoesNotExistIsNamed() {
    Shell shell = new ProcessShell();
    assertThatThrownBy(() -> shell.run(List.of("sleep", "5"), null, Duration.ofMillis(200)))
        .isInstanceOf(CommandFailedException.class)
        .hasMessageStartingWith("command `sleep 5` did not finish within 200 ms and was killed");
    assertThatThrownBy(() -> shell.check(List.of("weft-no-such-tool")))
        .isInstanceOf(CommandFailedException.class)
        .hasMessageStartingWith("command `weft-no-such-tool` could not be started");
    assertThatThrownBy(() -> shell.check(List.of("sh", "-c", "echo oops >&2; exit 3")))
        .hasMessage("command `sh -c echo oops >&2; exit 3` exited with status 3: oops");
    assertThat(shell.check(List.of("cat"), "in\n").stdout()).isEqualTo("in\n");
  }
}
