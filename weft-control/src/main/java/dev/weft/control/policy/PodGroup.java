package dev.weft.control.policy;

/**
 * One interned group of pods ({@link GroupKey}) and its members, shared by every policy naming it
 * (as applied-to or as a peer) and alive while one does.
 */
final class PodGroup {
  final GroupKey key;
  final Selector selector;

  /** The namespace of a group within one; null for a group across namespaces. */
  final Namespace namespace;

  /** The namespaces of a group across namespaces; null for a group within one. */
  final NamespaceGroup namespaces;

  final Bucket<Pod> members = new Bucket<>();

  /** The policies it is the applied-to group of: its members get their rules. */
  final Bucket<PolicyState> appliedBy = new Bucket<>();

  int references;

  /** The engine's visit stamp, to de-duplicate index visits without allocating. */
  long stamp;

  /** Its change in the batch {@code changeBatch} of the delta being built, to skip a lookup. */
  DeltaBuilder.Change change;

  long changeBatch;

  PodGroup(GroupKey key, Namespace namespace, NamespaceGroup namespaces) {
    this.key = key;
    this.selector = new Selector(key.podSelector());
    this.namespace = namespace;
    this.namespaces = namespaces;
  }

  @Override
  public String toString() {
    return key.toString();
  }
}
