/**
 * Benchmarks, run on purpose and never by {@code mvn verify}: JMH benchmarks of the full probe
 * matrix ({@link dev.weft.dataplane.bench.ProbeBenchmark}: 1,000 pods × 1,000 pods × 2 ports) and
 * of the incremental compile ({@link dev.weft.dataplane.bench.CompileBenchmark}: one pod change
 * against 20,000 endpoints; {@link dev.weft.dataplane.bench.ServiceCompileBenchmark}: one service
 * of ten backends added or removed among 10,000 such services), of Kubernetes NetworkPolicy ({@link
 * dev.weft.dataplane.bench.PolicyEngineBenchmark}: the engine on 25,000 namespaces, 100,000 pods
 * and 75,000 policies, from scratch and change by change, in a 1.5 GB heap; {@link
 * dev.weft.dataplane.bench.PolicyProbeBenchmark}: the probe matrix with policies deciding every
 * cell), and plain timing harnesses for profiling ({@link dev.weft.dataplane.bench.ProbeHarness},
 * {@link dev.weft.dataplane.bench.PolicyHarness}).
 *
 * <p>Run them on two cores, from the repository root, after {@code mvn -B install -DskipTests}:
 *
 * <pre>
 * taskset -c 0,1 mvn -B -q -pl weft-dataplane test-compile exec:exec -Dbench.args="ProbeBenchmark"
 * taskset -c 0,1 mvn -B -q -pl weft-dataplane test-compile exec:exec -Dbench.args="CompileBenchmark"
 * taskset -c 0,1 mvn -B -q -pl weft-dataplane test-compile exec:exec -Dbench.args="ServiceCompileBenchmark"
 * taskset -c 0,1 mvn -B -q -pl weft-dataplane test-compile exec:exec -Dbench.args="PolicyEngineBenchmark"
 * taskset -c 0,1 mvn -B -q -pl weft-dataplane test-compile exec:exec -Dbench.args="PolicyProbeBenchmark"
 * </pre>
 *
 * {@code bench.args} are JMH's own ({@code -f 1 -wi 2 -i 5}, a name pattern, {@code -h}); without
 * them every benchmark runs. The JVM sees two processors under {@code taskset}, so the probe's
 * parallel stream runs on the caller plus one common-pool worker: two threads.
 *
 * <p>{@code ServiceCompileBenchmark} as last run (JDK 17, on two cores that other builds were using
 * too, load average 4–6: the far tails are that machine's as much as Weft's), in µs per operation
 * unless said; the setup takes 10 s on a quiet machine, up to a minute on a busy one:
 *
 * <pre>
 * benchmark                  mean     p50     p99   p99.9
 * addOneService               138      97     240   1,735   store, watch, cache, compile
 * removeOneService             72      37     206   2,313
 * compileOnlyAdd              3.2     2.8     4.6      35   the compiler alone
 * compileOnlyRemove           1.0     0.8     1.4      23
 * followFromScratch           648 ms (single shot, 5 runs)   160,000 objects, a new compiler
 * convergeThroughStore      4,016 ms (single shot, 5 runs)   10,000 transactions, one a service
 * </pre>
 *
 * With {@code -p backends=1000} (the service added has 1,000 backends): compileOnlyAdd 457 µs (p50
 * 357), addOneService 26.8 ms (p50 23.6), most of it the store's. When the compiler still
 * recompiled a load balancer for each of its objects in a batch (each member), on the same machine
 * at the same load: compileOnlyAdd 22.7 µs (p50 20.2), addOneService 232 µs (p50 206, p99 415),
 * followFromScratch 1,940 ms; with 1,000 backends compileOnlyAdd 131 ms, addOneService 149 ms.
 *
 * <p>{@code PolicyEngineBenchmark} and {@code PolicyProbeBenchmark} as last run (JDK 17, two cores,
 * {@code -Xmx1500m} for the engine), on {@link dev.weft.dataplane.bench.PolicyWorld}: 25,000
 * namespaces, 100,000 pods, 75,000 policies, 116,073 groups, 5,001 namespace selectors, 170,716
 * memberships; the engine keeps 183 MB of heap for it (the decoded objects 237 MB):
 *
 * <pre>
 * benchmark                         mean       p50      p99    p99.9
 * initialComputation (policies first) 1,181 ms (single shot, 5 runs)   every group, first delta
 * initialComputation (pods first)     1,120 ms
 * throughCompiler                     1,182 ms                         endpoints too, batches of 100
 * ownPolicyPerPod                        67 ms                         10,000 pods, one namespace
 * podLabelChange                     8.4 us    7.6 us  17.8 us  54 us   delta drained
 * podLabelChangeThroughCompiler      9.3 us    8.1 us  20.5 us  64 us   one compiler batch
 * namespaceLabelChange              12.4 us   10.7 us  24.7 us  220 us  moved to another team
 * policyRuleChange                   1.1 us    0.9 us   1.8 us   28 us  same pods, new rules
 * PolicyProbeBenchmark (no policies)  118 ms   1,000 x 2,000 cells, all reachable
 * PolicyProbeBenchmark (policies)     162 ms   353,660 reachable
 * ProbeBenchmark                      106 ms   (for comparison, same run)
 * </pre>
 *
 * A JVM's first load of the world (before the JIT has compiled the engine) took 2.6 s in {@code
 * PolicyHarness}; later loads 0.9 to 1.1 s.
 */
package dev.weft.dataplane.bench;
