package dev.weft.cni;

/**
 * The executable kubelet runs for every CNI call: the {@code CNI_*} environment and the network
 * configuration on stdin in, a result or a CNI error on stdout, exit code 0 or 1.
 */
public final class Main {
  private Main() {}

  public static void main(String[] args) {
    if (args.length == 1 && args[0].equals(Training.FLAG)) {
      System.exit(Training.run());
    }
    System.exit(Plugin.run(System.getenv(), System.in, System.out, System.err));
  }
}
