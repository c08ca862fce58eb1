package dev.weft.control.policy;

import dev.weft.model.ContainerPort;
import java.util.Arrays;
import java.util.Comparator;
import java.util.Map;
import java.util.UUID;

/**
 * A pod's interface as policy sees it: its labels and declared ports, the groups it is in, and the
 * policies that select it, in evaluation order (policy name, then UUID), which is what a trace
 * lists and the first rule that allows is taken from.
 */
final class Pod {
  static final PolicyState[] NONE = new PolicyState[0];

  static final Comparator<PolicyState> ORDER =
      Comparator.comparing((PolicyState p) -> p.name).thenComparing(p -> p.uuid);

  final UUID uuid;
  final Namespace namespace;
  final String name;
  Map<String, String> labels;
  ContainerPort[] ports;
  final Bucket<PodGroup> groups = new Bucket<>();
  PolicyState[] applied = NONE;

  /** Whether some policy selecting it governs ingress (egress): then only what one allows. */
  boolean ingressIsolated;

  boolean egressIsolated;

  Pod(
      UUID uuid,
      Namespace namespace,
      String name,
      Map<String, String> labels,
      ContainerPort[] ports) {
    this.uuid = uuid;
    this.namespace = namespace;
    this.name = name;
    this.labels = labels;
    this.ports = ports;
  }

  String displayName() {
    return namespace.name + "/" + name;
  }

  void apply(PolicyState p) {
    int at = Arrays.binarySearch(applied, p, ORDER);
    if (at >= 0) {
      return;
    }
    int insert = -at - 1;
    PolicyState[] now = new PolicyState[applied.length + 1];
    System.arraycopy(applied, 0, now, 0, insert);
    now[insert] = p;
    System.arraycopy(applied, insert, now, insert + 1, applied.length - insert);
    applied = now;
    refresh();
  }

  void unapply(PolicyState p) {
    int at = indexOf(p);
    if (at < 0) {
      return;
    }
    PolicyState[] now = applied.length == 1 ? NONE : new PolicyState[applied.length - 1];
    System.arraycopy(applied, 0, now, 0, at);
    System.arraycopy(applied, at + 1, now, at, applied.length - at - 1);
    applied = now;
    refresh();
  }

  /** {@code was} replaced by {@code now}, which sorts the same and governs the same directions. */
  void replace(PolicyState was, PolicyState now) {
    int at = indexOf(was);
    if (at >= 0) {
      PolicyState[] copy = applied.clone();
      copy[at] = now;
      applied = copy; // readers never see an array change under them
    }
  }

  private int indexOf(PolicyState p) {
    for (int i = 0; i < applied.length; i++) {
      if (applied[i] == p) {
        return i;
      }
    }
    return -1;
  }

  private void refresh() {
    boolean in = false;
    boolean out = false;
    for (PolicyState p : applied) {
      in |= p.ingress;
      out |= p.egress;
    }
    ingressIsolated = in;
    egressIsolated = out;
  }

  @Override
  public String toString() {
    return displayName();
  }
}
