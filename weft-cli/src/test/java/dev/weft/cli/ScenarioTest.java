package dev.weft.cli;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.regex.Pattern;
import java.util.stream.Stream;
import org.junit.jupiter.api.DynamicTest;
import org.junit.jupiter.api.TestFactory;

/**
 * Runs every scenario under {@code scenarios/} (the repository's top-level folder): one dynamic
 * test per scenario, each against a fresh in-process Weft. A scenario is a folder of numbered steps
 * ({@code NN-what/}); each step's {@code *.yaml} files are applied with {@code weft apply -f FILE}
 * in name order, except {@code delete.yaml}, deleted with {@code weft delete -f}; once every pod is
 * bound to a node, {@code weft probe -o json} (with the arguments of the step's {@code probe.args},
 * else the scenario's, one a line) must print the step's {@code expected.json}. Every step runs
 * even after one fails, and the failure lists every differing cell of every step. A scenario's
 * {@code weft.yaml}, when present, is the Weft settings file it runs with ({@code weft up
 * --config}: a global floating-IP pool, say).
 *
 * <p>System properties: {@code weft.scenarios} another scenarios folder; {@code weft.scenario} run
 * only the scenarios whose name contains it. A step without {@code expected.json} fails and shows
 * what the probe printed; write the expected matrix from the rules, not from that output.
 */
class ScenarioTest {
  static final Path SCENARIOS = Path.of(System.getProperty("weft.scenarios", "../scenarios"));
  private static final Pattern STEP = Pattern.compile("\\d+-.+");
  private static final String DELETE = "delete.yaml";
  private static final String PROBE_ARGS = "probe.args";
  private static final String EXPECTED = "expected.json";
  private static final String SETTINGS = "weft.yaml";

  @TestFactory
  Stream<DynamicTest> everyScenarioMatchesItsExpectedMatrices() throws IOException {
    assertThat(scenarios("")).as("scenario folders in %s", SCENARIOS.toAbsolutePath()).isNotEmpty();
    return scenarios(System.getProperty("weft.scenario", "")).stream()
        .map(s -> DynamicTest.dynamicTest(s.getFileName().toString(), () -> run(s)));
  }

  private static void run(Path scenario) throws Exception {
    List<Path> steps = steps(scenario);
    assertThat(steps).as("numbered step folders (NN-what) in %s", scenario).isNotEmpty();
    List<String> failures = new ArrayList<>();
    try (InProcessWeft weft = InProcessWeft.start(settings(scenario))) {
      for (Path step : steps) {
        String name = scenario.getFileName() + "/" + step.getFileName();
        long started = System.nanoTime();
        apply(weft, step);
        weft.awaitPodsScheduled();
        weft.awaitClusterSettled();
        ProbeMatrix actual = weft.probe(probeArgs(step));
        System.out.printf(
            "scenario step %s: applied and probed in %d ms%n",
            name, (System.nanoTime() - started) / 1_000_000);
        Path expectedFile = step.resolve(EXPECTED);
        if (!Files.exists(expectedFile)) {
          failures.add(name + ": no " + EXPECTED + "; the probe printed:\n" + actual.toJson());
          continue;
        }
        ProbeMatrix expected =
            ProbeMatrix.parse(Files.readString(expectedFile, StandardCharsets.UTF_8));
        String diff = actual.differencesFrom(expected);
        if (!diff.isEmpty()) {
          failures.add(name + ": " + diff);
        }
      }
    }
    failIfAny(scenario, steps, "differ from their expected matrix", failures);
  }

  /** The scenario folders under {@link #SCENARIOS} whose name contains {@code only}, in order. */
  static List<Path> scenarios(String only) throws IOException {
    return children(SCENARIOS).stream()
        .filter(Files::isDirectory)
        .filter(s -> s.getFileName().toString().contains(only))
        .toList();
  }

  /** A scenario's numbered step folders ({@code NN-what}), in order. */
  static List<Path> steps(Path scenario) throws IOException {
    return children(scenario).stream()
        .filter(Files::isDirectory)
        .filter(p -> STEP.matcher(p.getFileName().toString()).matches())
        .toList();
  }

  /** The scenario's {@code weft.yaml} settings, else the defaults. */
  static WeftSettings settings(Path scenario) throws IOException {
    Path settings = scenario.resolve(SETTINGS);
    return Files.exists(settings) ? WeftSettings.read(settings) : WeftSettings.defaults();
  }

  /**
   * Applies a step: its {@code *.yaml} files with {@code weft apply -f} in name order, except
   * {@code delete.yaml}, deleted with {@code weft delete -f}.
   */
  static void apply(InProcessWeft weft, Path step) throws IOException {
    for (Path file : children(step)) {
      String f = file.getFileName().toString();
      if (f.equals(DELETE)) {
        weft.runOk("delete", "-f", file.toString());
      } else if (f.endsWith(".yaml")) {
        weft.runOk("apply", "-f", file.toString());
      }
    }
  }

  /** Fails listing every failed step of {@code scenario}, if any: "N of M steps {@code what}". */
  static void failIfAny(Path scenario, List<Path> steps, String what, List<String> failures) {
    if (!failures.isEmpty()) {
      throw new AssertionError(
          "scenario "
              + scenario.getFileName()
              + ": "
              + failures.size()
              + " of "
              + steps.size()
              + " steps "
              + what
              + "\n\n"
              + String.join("\n", failures));
    }
  }

  /** The step's probe.args, else the scenario's, else none; blank lines and # comments skipped. */
  static List<String> probeArgs(Path step) throws IOException {
    Path file = step.resolve(PROBE_ARGS);
    if (!Files.exists(file)) {
      file = step.getParent().resolve(PROBE_ARGS);
    }
    if (!Files.exists(file)) {
      return List.of();
    }
    return Files.readAllLines(file, StandardCharsets.UTF_8).stream()
        .map(String::trim)
        .filter(l -> !l.isEmpty() && !l.startsWith("#"))
        .toList();
  }

  private static List<Path> children(Path dir) throws IOException {
    try (Stream<Path> s = Files.list(dir)) {
      return s.sorted().toList();
    }
  }
}
