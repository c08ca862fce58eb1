package dev.weft.dataplane.bench;

import static dev.weft.control.policy.Policies.peers;
import static dev.weft.control.policy.Policies.pods;
import static dev.weft.control.policy.Policies.policy;
import static dev.weft.control.policy.Policies.ports;
import static dev.weft.control.policy.Policies.rule;
import static dev.weft.control.policy.Policies.sel;
import static dev.weft.control.policy.Policies.tcp;

import dev.weft.control.Compiler;
import dev.weft.control.World;
import dev.weft.control.policy.PolicyDelta;
import dev.weft.control.policy.PolicyEngine;
import dev.weft.control.policy.PolicyInputs;
import dev.weft.model.ConfigObject;
import dev.weft.model.FirewallPolicy;
import dev.weft.model.Project;
import dev.weft.model.VirtualMachineInterface;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
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
 * The NetworkPolicy engine at scale, on objects already decoded (as the object cache hands them
 * over), in a 1.5 GB heap:
 *
 * <ul>
 *   <li>{@code initialComputation}: {@link PolicyWorld} (25,000 namespaces, 100,000 pods, 75,000
 *       policies) into a new engine, every group computed and the first delta drained; {@code
 *       order} says whether pods come before policies (a restart: the cache lists pods first) or
 *       after (pods join existing groups);
 *   <li>{@code podLabelChange}: one pod's {@code app} label swapped ({@code web} and {@code api},
 *       {@code db} and {@code cache}), so it leaves and joins applied-to and peer groups within its
 *       namespace and across its team, and the delta drained; each invocation timed, for p99;
 *   <li>{@code namespaceLabelChange}: one namespace moved to another team, its web and cache pods
 *       leaving the team's groups and joining the other's;
 *   <li>{@code policyRuleChange}: one policy's rules changed (its pods unchanged);
 *   <li>{@code ownPolicyPerPod}: 10,000 pods of one namespace, each selected by a policy of its own
 *       that names its neighbour and the namespace's clients, from scratch;
 *   <li>{@code throughCompiler}: {@code initialComputation} end to end through the {@link Compiler}
 *       (change by change, a batch per 100 objects, as the object cache tells it), which also
 *       compiles every interface's endpoint;
 *   <li>{@code podLabelChangeThroughCompiler}: {@code podLabelChange} as one batch of the compiler
 *       loaded so, the interface's endpoint recompiled too and the delta drained for the policy
 *       listeners.
 * </ul>
 *
 * Run: {@code taskset -c 0,1 mvn -B -q -pl weft-dataplane test-compile exec:exec
 * -Dbench.args="PolicyEngineBenchmark"}.
 */
@Fork(
    value = 1,
    jvmArgsAppend = {"-Xmx1500m"})
public class PolicyEngineBenchmark {

  /** The decoded objects, made once per trial. */
  @State(Scope.Benchmark)
  public static class Objects {
    @Param({"25000"})
    public int namespaces;

    PolicyWorld world;

    @Setup(Level.Trial)
    public void setUp() {
      world = new PolicyWorld(namespaces);
      long before = usedAfterGc();
      PolicyEngine e = load(world, true);
      long after = usedAfterGc();
      System.out.println(
          "\n"
              + e.stats()
              + "; objects "
              + (before >> 20)
              + " MB, engine "
              + ((after - before) >> 20)
              + " MB retained");
    }
  }

  static long usedAfterGc() {
    Runtime rt = Runtime.getRuntime();
    for (int i = 0; i < 3; i++) {
      System.gc();
    }
    return rt.totalMemory() - rt.freeMemory();
  }

  static PolicyEngine load(PolicyWorld w, boolean policiesFirst) {
    PolicyEngine e = new PolicyEngine();
    PolicyInputs in = new PolicyInputs(e);
    for (Project p : w.projects) {
      in.change(null, p);
    }
    if (policiesFirst) {
      w.policies.forEach(p -> in.change(null, p));
      w.interfaces.forEach(v -> in.change(null, v));
    } else {
      w.interfaces.forEach(v -> in.change(null, v));
      w.policies.forEach(p -> in.change(null, p));
    }
    e.drain();
    return e;
  }

  /** Whether policies or pods come first. */
  @State(Scope.Benchmark)
  public static class Order {
    @Param({"policies-first", "pods-first"})
    public String order;
  }

  @Benchmark
  @BenchmarkMode(Mode.SingleShotTime)
  @OutputTimeUnit(TimeUnit.MILLISECONDS)
  @Warmup(iterations = 3)
  @Measurement(iterations = 5)
  public PolicyEngine initialComputation(Objects o, Order order) {
    return load(o.world, order.order.equals("policies-first"));
  }

  /** A loaded engine and the changes flipped back and forth on it. */
  @State(Scope.Benchmark)
  public static class Loaded {
    @Param({"25000"})
    public int namespaces;

    PolicyWorld world;
    PolicyEngine engine;
    PolicyInputs inputs;
    final List<VirtualMachineInterface[]> podFlips = new ArrayList<>();
    final List<Project[]> namespaceFlips = new ArrayList<>();
    final List<FirewallPolicy[]> policyFlips = new ArrayList<>();
    int nextPod;
    int nextNamespace;
    int nextPolicy;

    @Setup(Level.Trial)
    public void setUp() {
      world = new PolicyWorld(namespaces);
      engine = new PolicyEngine();
      inputs = new PolicyInputs(engine);
      world.projects.forEach(p -> inputs.change(null, p));
      world.policies.forEach(p -> inputs.change(null, p));
      world.interfaces.forEach(v -> inputs.change(null, v));
      engine.drain();
      // Pods, namespaces and policies spread over the cluster, each flipped and flipped back.
      int stride = Math.max(1, world.interfaces.size() / 4096);
      for (int i = 0; i < world.interfaces.size(); i += stride) {
        VirtualMachineInterface v = world.interfaces.get(i);
        Map<String, String> labels = new LinkedHashMap<>(v.labels());
        labels.put("app", swap(labels.get("app")));
        podFlips.add(new VirtualMachineInterface[] {v, PolicyWorld.relabelled(v, labels)});
      }
      for (int n = 0; n < namespaces; n += Math.max(1, namespaces / 1024)) {
        Project p = world.projects.get(n);
        Map<String, String> labels = new LinkedHashMap<>(p.labels());
        labels.put("team", "team-" + ((n / 5 + 1) % Math.max(1, namespaces / 5)));
        namespaceFlips.add(
            new Project[] {
              p, new Project(p.uuid(), p.fqName(), p.parent(), p.annotations(), labels)
            });
      }
      for (int n = 0; n < namespaces; n += Math.max(1, namespaces / 1024)) {
        FirewallPolicy api = world.policies.get(3 * n + 1);
        FirewallPolicy changed =
            policy("ns-" + n, "api", sel("app=api"))
                .ingress(rule(peers(pods(sel("app=web"))), ports(tcp(8081))))
                .build();
        policyFlips.add(new FirewallPolicy[] {api, changed});
      }
      PolicyDelta sample = flip(podFlips, 0);
      flip(podFlips, 0);
      System.out.println("\nthe delta of one pod label change: " + sample);
    }

    static String swap(String app) {
      return switch (app) {
        case "web" -> "api";
        case "api" -> "web";
        case "db" -> "cache";
        default -> "db";
      };
    }

    /** Applies flip {@code k} of {@code flips}, in whichever direction it is due. */
    <T extends ConfigObject> PolicyDelta flip(List<T[]> flips, int k) {
      T[] pair = flips.get(k);
      inputs.change(pair[0], pair[1]);
      T t = pair[0];
      pair[0] = pair[1];
      pair[1] = t;
      return engine.drain();
    }
  }

  @Benchmark
  @BenchmarkMode(Mode.SampleTime)
  @OutputTimeUnit(TimeUnit.MICROSECONDS)
  @Warmup(iterations = 3, time = 2)
  @Measurement(iterations = 5, time = 2)
  public PolicyDelta podLabelChange(Loaded l) {
    l.nextPod = (l.nextPod + 1) % l.podFlips.size();
    return l.flip(l.podFlips, l.nextPod);
  }

  @Benchmark
  @BenchmarkMode(Mode.SampleTime)
  @OutputTimeUnit(TimeUnit.MICROSECONDS)
  @Warmup(iterations = 3, time = 2)
  @Measurement(iterations = 5, time = 2)
  public PolicyDelta namespaceLabelChange(Loaded l) {
    l.nextNamespace = (l.nextNamespace + 1) % l.namespaceFlips.size();
    return l.flip(l.namespaceFlips, l.nextNamespace);
  }

  @Benchmark
  @BenchmarkMode(Mode.SampleTime)
  @OutputTimeUnit(TimeUnit.MICROSECONDS)
  @Warmup(iterations = 3, time = 2)
  @Measurement(iterations = 5, time = 2)
  public PolicyDelta policyRuleChange(Loaded l) {
    l.nextPolicy = (l.nextPolicy + 1) % l.policyFlips.size();
    return l.flip(l.policyFlips, l.nextPolicy);
  }

  /** 10,000 pods in one namespace, each with a policy of its own. */
  @State(Scope.Benchmark)
  public static class OwnPolicies {
    @Param({"10000"})
    public int pods;

    final List<ConfigObject> objects = new ArrayList<>();

    @Setup(Level.Trial)
    public void setUp() {
      PolicyWorld w = new PolicyWorld(0);
      objects.add(World.namespace("crowd", Map.of("team", "crowd")));
      for (int i = 0; i < pods; i++) {
        Map<String, String> labels = new LinkedHashMap<>();
        labels.put("app", "svc-" + i);
        labels.put("role", i % 2 == 0 ? "client" : "server");
        objects.add(w.vmi("crowd", "svc-" + i, labels, PolicyWorld.declaredPorts("api")));
        objects.add(
            policy("crowd", "svc-" + i, sel("app=svc-" + i))
                .ingress(
                    rule(
                        peers(pods(sel("role=client")), pods(sel("app=svc-" + ((i + 1) % pods)))),
                        ports(tcp(8080))))
                .egress(
                    rule(peers(pods(sel("app=svc-" + ((i + pods - 1) % pods)))), ports(tcp(8080))))
                .build());
      }
    }
  }

  @Benchmark
  @BenchmarkMode(Mode.SingleShotTime)
  @OutputTimeUnit(TimeUnit.MILLISECONDS)
  @Warmup(iterations = 5)
  @Measurement(iterations = 10)
  public PolicyEngine ownPolicyPerPod(OwnPolicies o) {
    PolicyEngine e = new PolicyEngine();
    PolicyInputs in = new PolicyInputs(e);
    for (ConfigObject c : o.objects) {
      in.change(null, c);
    }
    e.drain();
    return e;
  }

  /** A new store and compiler for each run of {@code throughCompiler}. */
  @State(Scope.Benchmark)
  public static class Fresh {
    World world;

    @Setup(Level.Iteration)
    public void setUp() {
      world = new World();
    }

    @TearDown(Level.Iteration)
    public void tearDown() {
      world.close();
    }
  }

  @Benchmark
  @BenchmarkMode(Mode.SingleShotTime)
  @OutputTimeUnit(TimeUnit.MILLISECONDS)
  @Warmup(iterations = 2)
  @Measurement(iterations = 5)
  public int throughCompiler(Objects o, Fresh f) {
    Compiler c = f.world.compiler();
    List<ConfigObject> all = new ArrayList<>();
    all.add(o.world.network);
    all.addAll(o.world.projects);
    all.addAll(o.world.policies);
    all.addAll(o.world.interfaces);
    long revision = c.revision();
    for (int from = 0; from < all.size(); from += 100) {
      for (ConfigObject obj : all.subList(from, Math.min(from + 100, all.size()))) {
        c.onChange(null, obj);
      }
      c.onApplied(++revision);
    }
    return c.read(v -> v.policies().appliedPolicies(o.world.interfaces.get(0).uuid()).size());
  }

  /** A compiler loaded with {@link PolicyWorld}, and pod label changes to flip on it. */
  @State(Scope.Benchmark)
  public static class LoadedCompiler {
    @Param({"25000"})
    public int namespaces;

    World world;
    Compiler compiler;
    final List<VirtualMachineInterface[]> flips = new ArrayList<>();
    long revision;
    int next;

    @Setup(Level.Trial)
    public void setUp() {
      PolicyWorld w = new PolicyWorld(namespaces);
      world = new World();
      compiler = world.compiler();
      List<ConfigObject> all = new ArrayList<>();
      all.add(w.network);
      all.addAll(w.projects);
      all.addAll(w.policies);
      all.addAll(w.interfaces);
      revision = compiler.revision();
      for (int from = 0; from < all.size(); from += 100) {
        for (ConfigObject obj : all.subList(from, Math.min(from + 100, all.size()))) {
          compiler.onChange(null, obj);
        }
        compiler.onApplied(++revision);
      }
      int stride = Math.max(1, w.interfaces.size() / 4096);
      for (int i = 0; i < w.interfaces.size(); i += stride) {
        VirtualMachineInterface v = w.interfaces.get(i);
        Map<String, String> labels = new LinkedHashMap<>(v.labels());
        labels.put("app", Loaded.swap(labels.get("app")));
        flips.add(new VirtualMachineInterface[] {v, PolicyWorld.relabelled(v, labels)});
      }
    }

    @TearDown(Level.Trial)
    public void tearDown() {
      world.close();
    }
  }

  @Benchmark
  @BenchmarkMode(Mode.SampleTime)
  @OutputTimeUnit(TimeUnit.MICROSECONDS)
  @Warmup(iterations = 3, time = 2)
  @Measurement(iterations = 5, time = 2)
  public long podLabelChangeThroughCompiler(LoadedCompiler l) {
    l.next = (l.next + 1) % l.flips.size();
    VirtualMachineInterface[] pair = l.flips.get(l.next);
    l.compiler.onChange(pair[0], pair[1]);
    l.compiler.onApplied(++l.revision);
    VirtualMachineInterface t = pair[0];
    pair[0] = pair[1];
    pair[1] = t;
    return l.compiler.revision();
  }
}
