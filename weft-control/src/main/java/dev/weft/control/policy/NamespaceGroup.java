package dev.weft.control.policy;

import dev.weft.model.LabelSelector;

/**
 * The namespaces one namespace selector matches, shared by every pod group across namespaces with
 * that selector ({@code team=a} with {@code app=web}, with {@code app=db}, ...), so a namespace's
 * label change is judged once per selector, not once per pod group.
 */
final class NamespaceGroup {
  final LabelSelector key;
  final Selector selector;
  final Bucket<Namespace> members = new Bucket<>();

  /** The pod groups across the namespaces it selects; it lives while one does. */
  final Bucket<PodGroup> dependents = new Bucket<>();

  long stamp;

  NamespaceGroup(LabelSelector key) {
    this.key = key;
    this.selector = new Selector(key);
  }

  @Override
  public String toString() {
    return "{" + key + "}";
  }
}
