package dev.weft.dataplane.bench;

import dev.weft.control.World;
import dev.weft.dataplane.Probe;
import java.util.concurrent.TimeUnit;
import org.openjdk.jmh.annotations.Benchmark;
import org.openjdk.jmh.annotations.BenchmarkMode;
import org.openjdk.jmh.annotations.Fork;
import org.openjdk.jmh.annotations.Level;
import org.openjdk.jmh.annotations.Measurement;
import org.openjdk.jmh.annotations.Mode;
import org.openjdk.jmh.annotations.OutputTimeUnit;
import org.openjdk.jmh.annotations.Param;
import org.openjdk.jmh.annotations.Scope;
import org.openjdk.jmh.annotations.Setup;
import org.openjdk.jmh.annotations.State;
import org.openjdk.jmh.annotations.TearDown;
import org.openjdk.jmh.annotations.Warmup;

/**
 * The full probe matrix with NetworkPolicy deciding ({@link PolicyProbeWorld}): 1,000 pods × 1,000
 * pods × 2 ports in default mode, where every cell passes the virtual networks and reaches the
 * policies, without them ({@code policies=false}) and with three per namespace ({@code true}).
 * Target: under 2 s on two cores, as {@link ProbeBenchmark}.
 */
@State(Scope.Benchmark)
@BenchmarkMode(Mode.SingleShotTime)
@OutputTimeUnit(TimeUnit.MILLISECONDS)
@Warmup(iterations = 15)
@Measurement(iterations = 10)
@Fork(
    value = 1,
    jvmArgsAppend = {"-Xmx4g"})
public class PolicyProbeBenchmark {
  @Param({"1000"})
  public int pods;

  @Param({"50"})
  public int namespaces;

  @Param({"false", "true"})
  public boolean policies;

  private World world;
  private PolicyProbeWorld cluster;

  @Setup(Level.Trial)
  public void setUp() {
    world = new World();
    cluster = new PolicyProbeWorld(world, pods, namespaces, policies);
    System.out.println(
        "\n"
            + ProbeWorld.summary(
                Probe.run(world.compiler(), cluster.sources, cluster.destinations)));
  }

  @TearDown(Level.Trial)
  public void tearDown() {
    world.close();
  }

  @Benchmark
  public Probe.Matrix fullMatrix() {
    return Probe.run(world.compiler(), cluster.sources, cluster.destinations);
  }
}
