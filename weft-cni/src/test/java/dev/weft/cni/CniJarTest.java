package dev.weft.cni;

import static org.assertj.core.api.Assertions.assertThat;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.FileTime;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The packaged weft-cni.jar run as a child process, the way kubelet runs it. Maven runs this in the
 * package phase (after the jar is built) with {@code -Dweft.cni.jar}.
 */
class CniJarTest {
  @TempDir Path dir;
  private Path jar;

  @BeforeEach
  void findJar() throws Exception {
    String property = System.getProperty("weft.cni.jar");
    assumeTrue(property != null, "set -Dweft.cni.jar=weft-cni/target/weft-cni.jar");
    // A private copy, so making its archive stale does not touch the build's jar.
    jar = Files.copy(Path.of(property), dir.resolve("weft-cni.jar"));
  }

  /**
   * {@code java -jar}, with perf data off: otherwise a JVM whose pid's hsperfdata file is held by a
   * process in another pid namespace warns on stdout, which is the CNI result.
   */
  private List<String> javaJar() {
    return List.of(ChildProcess.java(), "-XX:-UsePerfData", "-jar", jar.toString());
  }

  private Map<String, String> addEnv() {
    Map<String, String> env = CallParserTest.addEnv();
    env.remove("CNI_ARGS");
    env.put("CNI_ARGS", "K8S_POD_NAMESPACE=dev;K8S_POD_NAME=web-0");
    return env;
  }

  private String conf(String version) {
    return "{\"cniVersion\":\""
        + version
        + "\",\"name\":\"weft\",\"type\":\"weft-cni\",\"agentSocket\":\""
        + dir.resolve("cni.sock")
        + "\"}";
  }

  private static void assertAddResult(ChildProcess.Result run, String version) throws Exception {
    assertThat(run.exit()).as("exit; stderr: %s", run.stderr()).isZero();
    assertThat(run.stdout()).endsWith("\n");
    @SuppressWarnings("unchecked")
    Map<String, Object> result = (Map<String, Object>) Json.parse(run.stdout());
    assertThat(result).containsEntry("cniVersion", version).containsKeys("interfaces", "ips");
  }

  @Test
  void javaDashJarAnswersVersion() throws Exception {
    ChildProcess.Result run = ChildProcess.run(javaJar(), Map.of("CNI_COMMAND", "VERSION"), "");
    assertThat(run.exit()).isZero();
    assertThat(Json.parse(run.stdout()))
        .isEqualTo(
            Json.parse(
                "{\"cniVersion\":\"1.1.0\",\"supportedVersions\":[\"0.3.0\",\"0.3.1\",\"0.4.0\",\"1.0.0\",\"1.1.0\"]}"));
  }

  @Test
  void javaDashJarForwardsAddToTheAgent() throws Exception {
    try (FakeAgent agent = FakeAgent.healthy(dir.resolve("cni.sock"))) {
      ChildProcess.Result run = ChildProcess.run(javaJar(), addEnv(), conf("0.4.0"));

      assertAddResult(run, "0.4.0");
      assertThat(agent.requests())
          .singleElement()
          .satisfies(r -> assertThat(r).containsEntry("containerId", "c1"));
    }
  }

  @Test
  void javaDashJarFailsWithCode11WhenNoAgentRuns() throws Exception {
    ChildProcess.Result run = ChildProcess.run(javaJar(), addEnv(), conf("1.0.0"));

    assertThat(run.exit()).isEqualTo(1);
    assertThat(Json.parse(run.stdout()))
        .asInstanceOf(org.assertj.core.api.InstanceOfAssertFactories.MAP)
        .containsEntry("code", 11L);
  }

  @Test
  void launcherWorksWithoutAnArchiveWithOneAndWithAStaleOne() throws Exception {
    Path bin = dir.resolve("bin");
    Path launcher = Installer.install(bin, jar, ChildProcess.java());
    assertThat(Files.isExecutable(launcher)).isTrue();
    try (FakeAgent agent = FakeAgent.healthy(dir.resolve("cni.sock"))) {
      assertThat(Files.exists(Installer.archive(bin))).isFalse();
      assertAddResult(
          ChildProcess.run(List.of(launcher.toString()), addEnv(), conf("1.0.0")), "1.0.0");

      Path archive = Installer.createArchive(bin, jar, ChildProcess.java());
      assertThat(archive).isRegularFile();
      assertThat(Files.size(archive)).isPositive();
      assertAddResult(
          ChildProcess.run(List.of(launcher.toString()), addEnv(), conf("1.0.0")), "1.0.0");

      // A rebuilt jar invalidates the archive: the JVM must fall back, warning on stderr only.
      Files.setLastModifiedTime(
          jar, FileTime.fromMillis(Files.getLastModifiedTime(jar).toMillis() + 60_000));
      assertAddResult(
          ChildProcess.run(List.of(launcher.toString()), addEnv(), conf("0.3.1")), "0.3.1");

      Files.write(archive, new byte[] {1, 2, 3, 4});
      assertAddResult(
          ChildProcess.run(List.of(launcher.toString()), addEnv(), conf("1.1.0")), "1.1.0");
      assertThat(agent.requests()).hasSize(4);
    }
  }

  @Test
  void installQuotesPathsForTheShell() throws Exception {
    Path odd = Files.copy(jar, dir.resolve("it's a jar.jar"));
    Path launcher = Installer.install(dir.resolve("b i n"), odd, ChildProcess.java());
    ChildProcess.Result run =
        ChildProcess.run(List.of(launcher.toString()), Map.of("CNI_COMMAND", "VERSION"), "");
    assertThat(run.exit()).as("stderr: %s", run.stderr()).isZero();
    assertThat(Files.readString(launcher))
        .contains(
            "exec '"
                + ChildProcess.java()
                + "' -XX:TieredStopAtLevel=1 -XX:+UseSerialGC -XX:-UsePerfData -Xshare:auto"
                + " -XX:SharedArchiveFile=\"$archive\" -Xlog:disable -Xlog:all=warning:stderr"
                + " -cp '"
                + dir.resolve("it'\\''s a jar.jar")
                + "' dev.weft.cni.Main\n")
        .endsWith(" dev.weft.cni.Main\n");
  }
}
