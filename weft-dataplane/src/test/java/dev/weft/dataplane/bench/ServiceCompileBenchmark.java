package dev.weft.dataplane.bench;

import dev.weft.control.Compiler;
import dev.weft.control.Route;
import dev.weft.control.World;
import dev.weft.model.ConfigObject;
import dev.weft.store.objects.ObjectStore;
import dev.weft.store.objects.ObjectTxn;
import java.util.ArrayList;
import java.util.List;
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
 * Services at scale: {@code services} services (10,000 by default) of ten backends each over {@code
 * pods} pods ({@link ServiceWorld}), all compiled, and one more service of {@code backends}
 * backends (ten by default) added or removed. End to end ({@code addOneService}, {@code
 * removeOneService}: one store transaction of the load balancer, listener, pool and members, watch,
 * cache, compile, until {@link Compiler#awaitRevision} returns) and compiled alone ({@code
 * compileOnlyAdd}, {@code compileOnlyRemove}: the same changes handed straight to the compiler as
 * one batch), each invocation timed ({@link Mode#SampleTime}, for the percentiles); the service is
 * put back or taken away between invocations, untimed, so the cluster does not grow. For scale,
 * everything compiled from scratch by a new compiler ({@code followFromScratch}), and every service
 * written anew through the store, one transaction each as the kube-manager writes them, until
 * compiled ({@code convergeThroughStore}). Each benchmark gets a cluster of its own.
 */
@Fork(
    value = 1,
    jvmArgsAppend = {"-Xmx4g"})
@Warmup(iterations = 3, time = 2)
@Measurement(iterations = 5, time = 2)
@OutputTimeUnit(TimeUnit.MICROSECONDS)
public class ServiceCompileBenchmark {

  /** The cluster, and where the extra service is. */
  @State(Scope.Benchmark)
  public static class Cluster {
    @Param({"10000"})
    public int services;

    @Param({"10000"})
    public int pods;

    /** Members of the service added and removed (the others have ten). */
    @Param({"10"})
    public int backends;

    World world;
    ServiceWorld cluster;
    ConfigObject[] extra;
    private Where where = Where.NOWHERE;
    private long revision;

    private enum Where {
      NOWHERE,
      STORE,
      COMPILER
    }

    @Setup(Level.Trial)
    public void setUp() {
      world = new World();
      cluster = new ServiceWorld(world, pods, services);
      extra = cluster.service(services, backends).toArray(ConfigObject[]::new);
      revision = world.compiler().revision();
    }

    @TearDown(Level.Trial)
    public void tearDown() {
      world.close();
    }

    void absent() {
      switch (where) {
        case STORE -> world.delete(extra);
        case COMPILER -> uncompile();
        case NOWHERE -> {}
      }
      where = Where.NOWHERE;
    }

    void inStore() {
      if (where != Where.STORE) {
        absent();
        world.put(extra);
        where = Where.STORE;
      }
    }

    void inCompiler() {
      if (where != Where.COMPILER) {
        absent();
        compile();
        where = Where.COMPILER;
      }
    }

    long add() {
      where = Where.STORE;
      return world.put(extra);
    }

    long remove() {
      where = Where.NOWHERE;
      return world.delete(extra);
    }

    /*
     * What the cache would tell, as one batch; the store is left behind (it never holds the extra
     * service in these runs), and nothing compiling a service reads it.
     */
    Compiler compile() {
      where = Where.COMPILER;
      Compiler c = world.compiler();
      for (ConfigObject o : extra) {
        c.onChange(null, o);
      }
      c.onApplied(++revision);
      return c;
    }

    Compiler uncompile() {
      where = Where.NOWHERE;
      Compiler c = world.compiler();
      for (ConfigObject o : extra) {
        c.onChange(o, null);
      }
      c.onApplied(++revision);
      return c;
    }
  }

  /** Before each invocation: the extra service exists nowhere. */
  @State(Scope.Benchmark)
  public static class Absent {
    @Setup(Level.Invocation)
    public void setUp(Cluster c) {
      c.absent();
    }
  }

  /** Before each invocation: the extra service is in the store and compiled. */
  @State(Scope.Benchmark)
  public static class InStore {
    @Setup(Level.Invocation)
    public void setUp(Cluster c) {
      c.inStore();
    }
  }

  /** Before each invocation: the extra service is compiled, the store not told. */
  @State(Scope.Benchmark)
  public static class InCompiler {
    @Setup(Level.Invocation)
    public void setUp(Cluster c) {
      c.inCompiler();
    }
  }

  /** Before each iteration: no service is in the store any more. */
  @State(Scope.Benchmark)
  public static class NoServices {
    private final List<ConfigObject[]> all = new ArrayList<>();

    @Setup(Level.Iteration)
    public void setUp(Cluster c) {
      c.absent();
      all.clear();
      for (int i = 0; i < c.services; i++) {
        all.add(c.cluster.service(i, ServiceWorld.BACKENDS).toArray(ConfigObject[]::new));
      }
      for (int from = 0; from < all.size(); from += 100) {
        List<ConfigObject> chunk = new ArrayList<>();
        for (ConfigObject[] service : all.subList(from, Math.min(from + 100, all.size()))) {
          chunk.addAll(List.of(service));
        }
        c.world.delete(chunk.toArray(ConfigObject[]::new));
      }
    }
  }

  /** A service of ten backends created through the store, until compiled: what a user waits for. */
  @Benchmark
  @BenchmarkMode(Mode.SampleTime)
  public long addOneService(Cluster c, Absent absent) {
    return c.add();
  }

  /** The same service deleted through the store, until compiled. */
  @Benchmark
  @BenchmarkMode(Mode.SampleTime)
  public long removeOneService(Cluster c, InStore present) {
    return c.remove();
  }

  /** The service's creation compiled alone, as the cache would tell it. */
  @Benchmark
  @BenchmarkMode(Mode.SampleTime)
  public Compiler compileOnlyAdd(Cluster c, Absent absent) {
    return c.compile();
  }

  /** The service's deletion compiled alone. */
  @Benchmark
  @BenchmarkMode(Mode.SampleTime)
  public Compiler compileOnlyRemove(Cluster c, InCompiler present) {
    return c.uncompile();
  }

  /** Everything (pods, networks, services) compiled by a new compiler over the filled cache. */
  @Benchmark
  @BenchmarkMode(Mode.SingleShotTime)
  @Warmup(iterations = 3)
  @Measurement(iterations = 5)
  @OutputTimeUnit(TimeUnit.MILLISECONDS)
  public Route followFromScratch(Cluster c) {
    // Each compiler stays a listener of the cache, which nothing changes meanwhile.
    try (Compiler compiler = Compiler.follow(c.world.store().cache())) {
      return compiler.read(v -> v.vrf(c.cluster.serviceNetwork.fqName()).lookup("10.96.0.1"));
    }
  }

  /**
   * Every service created through the store, one transaction each and each waited for as the
   * kube-manager's writes are (read-your-writes), until the last one is compiled.
   */
  @Benchmark
  @BenchmarkMode(Mode.SingleShotTime)
  @Warmup(iterations = 2)
  @Measurement(iterations = 5)
  @OutputTimeUnit(TimeUnit.MILLISECONDS)
  public long convergeThroughStore(Cluster c, NoServices none) {
    ObjectStore store = c.world.store();
    long last = 0;
    for (ConfigObject[] service : none.all) {
      // World.put would wait for the compiler each time; the kube-manager waits for the cache.
      ObjectTxn txn = store.begin();
      for (ConfigObject o : service) {
        txn.create(o);
      }
      last = store.commit(txn);
    }
    return c.world.settle(last);
  }
}
