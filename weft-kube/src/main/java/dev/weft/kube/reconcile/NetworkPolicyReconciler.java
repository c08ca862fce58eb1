package dev.weft.kube.reconcile;

import dev.weft.kube.ClusterConfig;
import dev.weft.kube.translate.InputException;
import dev.weft.kube.translate.InputWarning;
import dev.weft.kube.translate.NamespaceInfo;
import dev.weft.kube.translate.NetworkPolicyInfo;
import dev.weft.kube.translate.NetworkPolicyObjects;
import dev.weft.kube.translate.Uuids;
import dev.weft.model.ConfigObject;
import dev.weft.model.FqName;
import dev.weft.model.LabelSelector;
import dev.weft.model.Names;
import dev.weft.model.ObjectType;
import dev.weft.model.Project;
import dev.weft.model.Ref;
import dev.weft.store.objects.ObjectCache;
import dev.weft.store.objects.Stored;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import java.util.Set;

/**
 * Converges one NetworkPolicy ({@code NetworkPolicy/NS/NAME}) to its firewall policy, a child of
 * its namespace's project. The policy names its peers by selectors, never by members, so nothing
 * here depends on pods: a pod or label change never re-queues a policy, and a policy change
 * rewrites one object.
 *
 * <p>A policy the API server would refuse is reported and keeps what it had; one that takes effect
 * with something a person should know (an except outside its cidr, a named port no pod of the
 * namespaces in scope declares) is converged and warned about. The named-port check reads the pods
 * as they are when the policy is reconciled: a pod declaring the port later makes the policy match
 * it (that is the compiler's work) without withdrawing the Event already recorded.
 */
final class NetworkPolicyReconciler {
  private final ClusterConfig config;
  private final KubeView kube;
  private final Converger converger;
  private final ObjectCache cache;
  private final Problems problems;

  NetworkPolicyReconciler(
      ClusterConfig config,
      KubeView kube,
      Converger converger,
      ObjectCache cache,
      Problems problems) {
    this.config = config;
    this.kube = kube;
    this.converger = converger;
    this.cache = cache;
    this.problems = problems;
  }

  Converger.Outcome reconcile(String key, String namespace, String name, long generation) {
    Optional<NetworkPolicyInfo> found = kube.networkPolicy(namespace, name);
    if (found.isEmpty() || kube.namespace(namespace).isEmpty()) {
      // Deleted, or its namespace is (the namespace's own events re-queue its policies).
      problems.clear(key);
      return converger.converge(key, List.of(), null);
    }
    NetworkPolicyInfo np = found.get();
    NetworkPolicyObjects.Translation translation;
    try {
      translation = NetworkPolicyObjects.desired(config, np, project(np));
    } catch (InputException e) {
      problems.report(key, NetworkPolicyObjects.KIND, namespace, name, np.uid(), generation, e);
      if (!e.transientWait() && heldByAnotherUid(key, np)) {
        // What it had belongs to a deleted policy of the same name, not to this one.
        return converger.converge(key, List.of(), null);
      }
      return null;
    }
    Converger.Outcome outcome =
        converger.converge(key, List.<ConfigObject>of(translation.policy()), null);
    List<InputWarning> warnings = new ArrayList<>(translation.warnings());
    for (NetworkPolicyObjects.NamedPortUse use :
        NetworkPolicyObjects.namedPorts(translation.policy())) {
      if (!declared(namespace, use)) {
        warnings.add(NetworkPolicyObjects.undeclared(np, use));
      }
    }
    problems.warn(key, NetworkPolicyObjects.KIND, namespace, name, np.uid(), warnings);
    return outcome;
  }

  /** The namespace's project; a transient wait while the namespace is not reconciled yet. */
  private Ref project(NetworkPolicyInfo np) {
    FqName fq = Names.projectFq(config.name(), np.namespace());
    return cache
        .<Project>get(ObjectType.PROJECT, fq)
        .map(Stored::object)
        .map(Ref::to)
        .orElseThrow(
            () ->
                new InputException(
                    "ProjectNotReady",
                    NetworkPolicyObjects.where(np) + ": project " + fq + " does not exist yet",
                    "object:" + fq,
                    true));
  }

  private boolean heldByAnotherUid(String key, NetworkPolicyInfo np) {
    return cache.ownedBy(key).stream()
        .anyMatch(s -> !s.object().uuid().equals(Uuids.fromUid(np.uid())));
  }

  /** Whether a pod of a namespace in the port's scope declares it. */
  private boolean declared(String namespace, NetworkPolicyObjects.NamedPortUse use) {
    if (use.anyNamespace()) {
      return !kube.namespacesDeclaringPort(use.name(), use.protocol()).isEmpty();
    }
    if (use.ownNamespace() && kube.declaresPort(namespace, use.name(), use.protocol())) {
      return true;
    }
    if (use.namespaceSelectors().isEmpty()) {
      return false;
    }
    Set<String> declaring = kube.namespacesDeclaringPort(use.name(), use.protocol());
    for (String ns : declaring) {
      Optional<NamespaceInfo> info = kube.namespace(ns);
      if (info.isEmpty()) {
        continue;
      }
      for (LabelSelector s : use.namespaceSelectors()) {
        if (s.matches(info.get().labels())) {
          return true;
        }
      }
    }
    return false;
  }
}
