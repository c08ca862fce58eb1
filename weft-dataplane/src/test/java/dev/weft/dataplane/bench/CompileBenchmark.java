package dev.weft.dataplane.bench;

import dev.weft.control.Compiler;
import dev.weft.control.World;
import dev.weft.control.World.Pod;
import dev.weft.model.InstanceIp;
import dev.weft.model.IpPrefix;
import dev.weft.model.Ref;
import dev.weft.model.VirtualMachine;
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
 * The incremental compile with {@code endpoints} endpoints (20,000 by default, in 200 networks with
 * the probe benchmark's policies): one pod change compiled alone ({@code compileOnly}: the cache's
 * change handed straight to the compiler), and end to end ({@code throughStore}: store commit,
 * watch, cache, compile, until {@link Compiler#awaitRevision} returns); and, for scale, everything
 * compiled from scratch ({@code followFromScratch}). Each benchmark gets a cluster of its own.
 */
@State(Scope.Benchmark)
@Fork(
    value = 1,
    jvmArgsAppend = {"-Xmx4g"})
@Warmup(iterations = 3, time = 2)
@Measurement(iterations = 5, time = 2)
@OutputTimeUnit(TimeUnit.MICROSECONDS)
public class CompileBenchmark {
  @Param({"20000"})
  public int endpoints;

  private World world;
  private InstanceIp address;
  private InstanceIp moved;
  private VirtualMachine here;
  private VirtualMachine there;
  private boolean flip;
  private long revision;

  @Setup(Level.Trial)
  public void setUp() {
    world = new World();
    ProbeWorld cluster = new ProbeWorld(world, endpoints, 200);
    Pod pod = cluster.pods.get(cluster.pods.size() / 2);
    address = pod.ip();
    moved = readdressed(address, "10.254.0.1");
    here = pod.vm();
    there =
        new VirtualMachine(
            here.uuid(),
            here.fqName(),
            here.parent(),
            here.annotations(),
            Ref.to(
                World.router(
                    here.virtualRouter().to().name().equals("node-1") ? "node-2" : "node-1",
                    null)));
    revision = world.compiler().revision();
  }

  @TearDown(Level.Trial)
  public void tearDown() {
    world.close();
  }

  private static InstanceIp readdressed(InstanceIp ip, String address) {
    return new InstanceIp(
        ip.uuid(),
        ip.fqName(),
        ip.parent(),
        ip.annotations(),
        address,
        null,
        IpPrefix.parse(address + "/32"),
        ip.gateway(),
        ip.pool(),
        ip.virtualNetwork(),
        ip.interfaces(),
        ip.serviceIp());
  }

  /** A pod is re-addressed and moved to the other node: its endpoint and host route change. */
  @Benchmark
  @BenchmarkMode(Mode.AverageTime)
  public Compiler compileOnly() {
    Compiler c = world.compiler();
    flip = !flip;
    // What the cache would tell; the store is left behind, and nothing here reads it again.
    c.onChange(flip ? address : moved, flip ? moved : address);
    c.onChange(flip ? here : there, flip ? there : here);
    c.onApplied(++revision);
    return c;
  }

  /** The same pod re-addressed through the store, until compiled: what a user waits for. */
  @Benchmark
  @BenchmarkMode(Mode.AverageTime)
  public long throughStore() {
    flip = !flip;
    return world.put(flip ? moved : address);
  }

  /** Everything compiled by a new compiler over the filled cache. */
  @Benchmark
  @BenchmarkMode(Mode.SingleShotTime)
  @Warmup(iterations = 3)
  @Measurement(iterations = 5)
  @OutputTimeUnit(TimeUnit.MILLISECONDS)
  public int followFromScratch() {
    // Each compiler stays a listener of the cache, which nothing changes meanwhile.
    try (Compiler c = Compiler.follow(world.store().cache())) {
      return c.read(v -> v.endpoints().size());
    }
  }
}
