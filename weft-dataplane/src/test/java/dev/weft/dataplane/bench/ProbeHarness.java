package dev.weft.dataplane.bench;

import dev.weft.control.World;
import dev.weft.dataplane.Probe;

/**
 * The probe benchmark without JMH, for profilers and quick looks: builds the same cluster, runs the
 * full matrix {@code runs} times and prints each time and the matrix's checksum. Arguments: {@code
 * [runs] [pods] [networks]}, defaults 20, 1000, 50.
 */
public final class ProbeHarness {
  private ProbeHarness() {}

  public static void main(String[] args) {
    int runs = args.length > 0 ? Integer.parseInt(args[0]) : 20;
    int pods = args.length > 1 ? Integer.parseInt(args[1]) : 1000;
    int networks = args.length > 2 ? Integer.parseInt(args[2]) : 50;
    try (World world = new World()) {
      ProbeWorld cluster = new ProbeWorld(world, pods, networks);
      for (int r = 0; r < runs; r++) {
        long start = System.nanoTime();
        Probe.Matrix m = Probe.run(world.compiler(), cluster.sources, cluster.destinations);
        long ms = (System.nanoTime() - start) / 1_000_000;
        System.out.println("run " + (r + 1) + ": " + ms + " ms; " + ProbeWorld.summary(m));
      }
    }
  }
}
