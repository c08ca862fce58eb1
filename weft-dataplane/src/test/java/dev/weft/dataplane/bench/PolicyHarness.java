package dev.weft.dataplane.bench;

import dev.weft.control.policy.PolicyEngine;

/**
 * The policy benchmark's initial computation without JMH, for profilers and quick looks: builds
 * {@link PolicyWorld} and loads it into a new engine {@code runs} times, printing each time, the
 * engine's counts and the heap it keeps. Arguments: {@code [runs] [namespaces] [pods-first]},
 * defaults 10, 25000, policies first; or {@code label [namespaces]}: pod label changes with their
 * deltas, timed in rounds of 10,000.
 */
public final class PolicyHarness {
  private PolicyHarness() {}

  public static void main(String[] args) {
    if (args.length > 0 && args[0].equals("label")) {
      labelChanges(args.length > 1 ? Integer.parseInt(args[1]) : 25000);
      return;
    }
    int runs = args.length > 0 ? Integer.parseInt(args[0]) : 10;
    int namespaces = args.length > 1 ? Integer.parseInt(args[1]) : 25000;
    boolean policiesFirst = args.length <= 2 || !args[2].equals("pods-first");
    PolicyWorld world = new PolicyWorld(namespaces);
    long objects = PolicyEngineBenchmark.usedAfterGc();
    for (int r = 0; r < runs; r++) {
      long start = System.nanoTime();
      PolicyEngine e = PolicyEngineBenchmark.load(world, policiesFirst);
      long ms = (System.nanoTime() - start) / 1_000_000;
      long retained = PolicyEngineBenchmark.usedAfterGc() - objects;
      System.out.println(
          "run "
              + (r + 1)
              + ": "
              + ms
              + " ms; "
              + e.stats()
              + "; engine "
              + (retained >> 20)
              + " MB");
    }
  }

  private static void labelChanges(int namespaces) {
    PolicyEngineBenchmark.Loaded l = new PolicyEngineBenchmark.Loaded();
    l.namespaces = namespaces;
    l.setUp();
    for (int round = 0; round < 30; round++) {
      long start = System.nanoTime();
      for (int i = 0; i < 10_000; i++) {
        l.nextPod = (l.nextPod + 1) % l.podFlips.size();
        l.flip(l.podFlips, l.nextPod);
      }
      System.out.println(
          "round "
              + round
              + ": "
              + (System.nanoTime() - start) / 10_000 / 1000.0
              + " us per change");
    }
  }
}
