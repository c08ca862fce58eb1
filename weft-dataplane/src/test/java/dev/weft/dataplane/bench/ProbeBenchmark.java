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
 * The full probe matrix of {@code weft probe}: every pod to every pod on two ports, 1,000 × 2,000
 * cells by default, through the forwarding model. Target: under 2 s on two cores.
 */
@State(Scope.Benchmark)
@BenchmarkMode(Mode.SingleShotTime)
@OutputTimeUnit(TimeUnit.MILLISECONDS)
// The first few shots still run partly interpreted and C2 keeps compiling for a while.
@Warmup(iterations = 15)
@Measurement(iterations = 10)
@Fork(
    value = 1,
    jvmArgsAppend = {"-Xmx4g"})
public class ProbeBenchmark {
  @Param({"1000"})
  public int pods;

  @Param({"50"})
  public int networks;

  private World world;
  private ProbeWorld cluster;

  @Setup(Level.Trial)
  public void setUp() {
    world = new World();
    cluster = new ProbeWorld(world, pods, networks);
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
