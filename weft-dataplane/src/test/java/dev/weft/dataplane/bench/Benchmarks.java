package dev.weft.dataplane.bench;

/**
 * Entry point of the benchmarks: JMH's own command line ({@code -h} lists its options; a name
 * pattern such as {@code ProbeBenchmark} picks benchmarks). See the package documentation for the
 * command that runs it on two cores.
 */
public final class Benchmarks {
  private Benchmarks() {}

  public static void main(String[] args) throws Exception {
    org.openjdk.jmh.Main.main(args);
  }
}
