package dev.weft.control.policy;

import java.util.Map;

/**
 * A namespace as the engine knows it: its labels, its pods with their labels indexed, and the pod
 * groups in its scope. It exists while something needs it: a project declaring its labels, a pod,
 * or a policy's group within it.
 */
final class Namespace {
  final String name;

  /** The labels namespace selectors see: the project's, and the name label Kubernetes adds. */
  Map<String, String> labels;

  /** Whether a project gave its labels (otherwise it is known only through pods or policies). */
  boolean declared;

  final Bucket<Pod> pods = new Bucket<>();
  final LabelIndex<Pod> podsByLabel = new LabelIndex<>();

  /**
   * The pod groups whose scope includes this namespace: those within it, and those across the
   * namespaces a namespace group selects while it selects this one. A pod's change here is judged
   * by these only.
   */
  final SelectorIndex<PodGroup> groups = new SelectorIndex<>();

  /** Pod groups within this namespace (by name), which keep it known. */
  int ownGroups;

  /** The namespace groups that select it. */
  final Bucket<NamespaceGroup> memberOf = new Bucket<>();

  Namespace(String name, Map<String, String> labels) {
    this.name = name;
    this.labels = labels;
  }

  boolean unused() {
    return !declared && pods.isEmpty() && ownGroups == 0;
  }

  @Override
  public String toString() {
    return name;
  }
}
