package dev.weft.cli;

import static org.assertj.core.api.Assertions.assertThat;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import dev.weft.cli.lab.Lab;
import java.io.IOException;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.stream.Stream;
import org.junit.jupiter.api.DynamicTest;
import org.junit.jupiter.api.TestFactory;

/**
 * The forwarding model and the kernel agree: every scenario under {@code scenarios/} is run on a
 * lab ({@code weft up --lab}: nodes as network namespaces with their agents, pods wired by the CNI
 * plugin, a gateway), and after each step {@code weft probe} and {@code weft probe --real} with the
 * step's probe arguments must give the same matrix, cell for cell. SCTP is left out of both (this
 * kernel has no SCTP, and the lab measures TCP and UDP only): an SCTP {@code --port} is dropped
 * from the arguments, and SCTP destinations from the model's matrix. A differing cell is listed
 * with both matrices and the {@code weft trace} of the cell.
 *
 * <p>Needs root, ip and nft: skipped otherwise. System properties: {@code weft.scenario} runs only
 * the scenarios whose name contains it; {@code weft.lab.steps} at most that many steps of each
 * (default: every step).
 */
class LabDifferentialTest {
  @TestFactory
  Stream<DynamicTest> modelAndKernelAgreeOnEveryScenario() throws IOException {
    assertThat(ScenarioTest.scenarios("")).isNotEmpty();
    return ScenarioTest.scenarios(System.getProperty("weft.scenario", "")).stream()
        .map(s -> DynamicTest.dynamicTest(s.getFileName().toString(), () -> run(s)));
  }

  private static void run(Path scenario) throws Exception {
    String missing = Lab.missingRequirements();
    assumeTrue(missing == null, () -> "skipped: " + missing);
    // Every step of every scenario: about 5 minutes on two cores (netpol-upstream's 46 steps two).
    int maxSteps = Integer.getInteger("weft.lab.steps", Integer.MAX_VALUE);
    List<Path> steps = ScenarioTest.steps(scenario).stream().limit(maxSteps).toList();
    List<String> failures = new ArrayList<>();
    long up = System.nanoTime();
    try (InProcessWeft weft = InProcessWeft.start(ScenarioTest.settings(scenario), true)) {
      System.out.printf(
          "lab %s for %s up in %d ms%n",
          weft.lab().prefix(), scenario.getFileName(), (System.nanoTime() - up) / 1_000_000);
      for (Path step : steps) {
        String name = scenario.getFileName() + "/" + step.getFileName();
        ScenarioTest.apply(weft, step);
        try {
          weft.awaitPodsScheduled();
          weft.awaitClusterSettled();
          weft.awaitPodsRunning();
        } catch (AssertionError e) {
          throw new AssertionError(
              name + ": " + e.getMessage() + "\n" + weft.lab().logTails(80), e);
        }
        List<String> args = withoutSctp(ScenarioTest.probeArgs(step));
        ProbeMatrix model = withoutSctpColumns(weft.probe(args));
        long started = System.nanoTime();
        List<String> realArgs = new ArrayList<>(args);
        realArgs.add("--real");
        ProbeMatrix real = weft.probe(realArgs);
        long took = (System.nanoTime() - started) / 1_000_000;
        System.out.printf(
            "lab step %s: %d x %d cells measured in %d ms%n",
            name, real.sources().size(), real.destinations().size(), took);
        String diff = real.differencesFrom(model);
        if (!diff.isEmpty()) {
          failures.add(
              name
                  + " (probe "
                  + String.join(" ", args)
                  + "): the kernel (actual) differs from the model (expected): "
                  + diff
                  + "\nmodel:\n"
                  + model.toJson()
                  + "\nkernel:\n"
                  + real.toJson()
                  + "\n"
                  + traces(weft, args, model, real));
        }
      }
    }
    ScenarioTest.failIfAny(scenario, steps, "differ between the model and the kernel", failures);
  }

  /** {@code weft trace} of every differing cell. */
  private static String traces(
      InProcessWeft weft, List<String> args, ProbeMatrix model, ProbeMatrix real) {
    if (!model.sources().equals(real.sources())
        || !model.destinations().equals(real.destinations())) {
      return "";
    }
    boolean services = args.contains("services");
    StringBuilder out = new StringBuilder();
    int shown = 0;
    for (int i = 0; i < model.sources().size(); i++) {
      for (int j = 0; j < model.destinations().size(); j++) {
        if (model.cell(i, j) == real.cell(i, j) || shown >= 20) {
          continue;
        }
        shown++;
        String dest = model.destinations().get(j);
        int colon = dest.lastIndexOf(':');
        String target = (services ? "service/" : "") + dest.substring(0, colon);
        CliRun.Result r =
            weft.run(
                List.of(
                    "trace", model.sources().get(i), target, "--port", dest.substring(colon + 1)));
        out.append("trace ")
            .append(model.sources().get(i))
            .append(" -> ")
            .append(dest)
            .append(" (model '")
            .append(model.cell(i, j))
            .append("', kernel '")
            .append(real.cell(i, j))
            .append("'):\n")
            .append(r.out())
            .append(r.err())
            .append('\n');
      }
    }
    return out.toString();
  }

  /** The arguments without {@code --port N/SCTP}. */
  static List<String> withoutSctp(List<String> args) {
    List<String> out = new ArrayList<>();
    for (int k = 0; k < args.size(); k++) {
      if (args.get(k).equals("--port")
          && k + 1 < args.size()
          && args.get(k + 1).toUpperCase(Locale.ROOT).endsWith("/SCTP")) {
        k++;
        continue;
      }
      out.add(args.get(k));
    }
    return out;
  }

  /** The matrix without its SCTP destinations. */
  static ProbeMatrix withoutSctpColumns(ProbeMatrix m) {
    List<Integer> keep = new ArrayList<>();
    for (int j = 0; j < m.destinations().size(); j++) {
      if (!m.destinations().get(j).toUpperCase(Locale.ROOT).endsWith("/SCTP")) {
        keep.add(j);
      }
    }
    List<String> rows = new ArrayList<>();
    for (String row : m.rows()) {
      StringBuilder r = new StringBuilder();
      keep.forEach(j -> r.append(row.charAt(j)));
      rows.add(r.toString());
    }
    return new ProbeMatrix(m.sources(), keep.stream().map(m.destinations()::get).toList(), rows);
  }
}
