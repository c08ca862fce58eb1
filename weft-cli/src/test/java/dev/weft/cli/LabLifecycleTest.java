package dev.weft.cli;

import static org.assertj.core.api.Assertions.assertThat;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import dev.weft.cli.lab.Lab;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;

/**
 * The lab's life: pods wired by the CNI plugin answer real connections, {@code --real} refuses what
 * the lab cannot measure, and stopping the lab leaves nothing behind: no process, network
 * namespace, device or nftables table carrying its prefix. Needs root, ip and nft: skipped
 * otherwise.
 */
class LabLifecycleTest {
  private static final String PODS =
      """
      apiVersion: v1
      kind: Pod
      metadata: {name: a, namespace: default, labels: {app: web}}
      spec:
        containers:
          - {name: c, image: x, ports: [{containerPort: 80}, {containerPort: 53, protocol: UDP}, {containerPort: 9, protocol: SCTP}]}
      ---
      apiVersion: v1
      kind: Pod
      metadata: {name: b, namespace: default, labels: {app: web}}
      spec:
        containers:
          - {name: c, image: x, ports: [{containerPort: 80}, {containerPort: 53, protocol: UDP}]}
      ---
      apiVersion: v1
      kind: Service
      metadata: {name: web, namespace: default}
      spec:
        selector: {app: web}
        ports: [{port: 8080, targetPort: 80}]
      """;

  @Test
  void podsAnswerRealConnectionsAndStoppingTheLabLeavesNothingBehind() throws Exception {
    String missing = Lab.missingRequirements();
    assumeTrue(missing == null, () -> "skipped: " + missing);
    String prefix;
    Path manifests = Files.createTempFile("lab-pods-", ".yaml");
    try (InProcessWeft weft = InProcessWeft.start(WeftSettings.defaults(), true)) {
      prefix = weft.lab().prefix();
      assertThat(leftovers(prefix)).as("the lab's namespaces").contains(prefix + "-u");
      Files.writeString(manifests, PODS, StandardCharsets.UTF_8);
      weft.runOk("apply", "-f", manifests.toString());
      weft.awaitPodsScheduled();
      weft.awaitPodsRunning();
      weft.awaitClusterSettled();

      ProbeMatrix model = weft.probe(List.of("--port", "80/TCP", "--port", "53/UDP"));
      ProbeMatrix real = weft.probe(List.of("--port", "80/TCP", "--port", "53/UDP", "--real"));
      assertThat(real).isEqualTo(model);
      assertThat(real.rows()).containsExactly("....", "....");

      ProbeMatrix services = weft.probe(List.of("--to", "services", "--real"));
      assertThat(services.destinations()).containsExactly("default/web:8080/TCP");
      assertThat(services).isEqualTo(weft.probe(List.of("--to", "services")));

      // Declared SCTP ports are left out of a real probe; an asked one is refused, saying why.
      ProbeMatrix declared = weft.probe(List.of("--real"));
      assertThat(declared.destinations()).noneMatch(d -> d.endsWith("/SCTP"));
      CliRun.Result sctp = weft.run(List.of("probe", "--port", "9/SCTP", "--real"));
      assertThat(sctp.code()).isNotZero();
      assertThat(sctp.err()).contains("SCTP");
    } finally {
      Files.deleteIfExists(manifests);
    }
    assertThat(leftovers(prefix)).as("what the lab left behind").isEmpty();
  }

  @Test
  void realProbeWithoutTheLabIsRefusedWithAReason() throws Exception {
    try (InProcessWeft weft = InProcessWeft.start()) {
      CliRun.Result r = weft.run(List.of("probe", "--real"));
      assertThat(r.code()).isNotZero();
      assertThat(r.err()).contains("weft up --lab");
    }
  }

  /** Namespaces, devices (of this namespace) and nftables tables whose name has the prefix. */
  private static String leftovers(String prefix) throws Exception {
    StringBuilder out = new StringBuilder();
    for (List<String> argv :
        List.of(
            List.of("ip", "netns", "list"),
            List.of("ip", "-o", "link", "show"),
            List.of("nft", "list", "tables"))) {
      Process p = new ProcessBuilder(argv).redirectErrorStream(true).start();
      String text = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
      p.waitFor(10, TimeUnit.SECONDS);
      for (String line : text.split("\n")) {
        if (line.contains(prefix)) {
          out.append(String.join(" ", argv)).append(": ").append(line).append('\n');
        }
      }
    }
    ProcessHandle.current()
        .descendants()
        .filter(h -> h.info().commandLine().orElse("").contains(prefix))
        .forEach(
            h -> out.append("process ").append(h.info().commandLine().orElse("")).append('\n'));
    return out.toString();
  }
}
