/**
 * Benchmarks, run on purpose and never by {@code mvn verify}: JMH benchmarks of the full probe
 * matrix ({@link dev.weft.dataplane.bench.ProbeBenchmark}: 1,000 pods × 1,000 pods × 2 ports) and
 * of the incremental compile ({@link dev.weft.dataplane.bench.CompileBenchmark}: one pod change
 * against 20,000 endpoints), and a plain timing harness for profiling ({@link
 * dev.weft.dataplane.bench.ProbeHarness}).
 *
 * <p>Run them on two cores, from the repository root, after {@code mvn -B install -DskipTests}:
 *
 * <pre>
 * taskset -c 0,1 mvn -B -q -pl weft-dataplane test-compile exec:exec -Dbench.args="ProbeBenchmark"
 * taskset -c 0,1 mvn -B -q -pl weft-dataplane test-compile exec:exec -Dbench.args="CompileBenchmark"
 * </pre>
 *
 * {@code bench.args} are JMH's own ({@code -f 1 -wi 2 -i 5}, a name pattern, {@code -h}); without
 * them every benchmark runs. The JVM sees two processors under {@code taskset}, so the probe's
 * parallel stream runs on the caller plus one common-pool worker: two threads.
 */
package dev.weft.dataplane.bench;
