package dev.weft.kube.reconcile;

import dev.weft.kube.ClusterConfig;
import dev.weft.kube.translate.InputException;
import dev.weft.kube.translate.NamespaceInfo;
import dev.weft.kube.translate.NamespaceObjects;
import dev.weft.kube.translate.NamespaceSettings;
import dev.weft.model.ConfigObject;
import dev.weft.model.ObjectType;
import java.util.List;
import java.util.Optional;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/** Converges the objects of one namespace ({@code Namespace/NAME}). */
final class NamespaceReconciler {
  private static final Logger log = LoggerFactory.getLogger(NamespaceReconciler.class);
  private final ClusterConfig config;
  private final KubeView kube;
  private final Converger converger;
  private final Problems problems;
  private final dev.weft.store.objects.ObjectCache cache;

  NamespaceReconciler(
      ClusterConfig config,
      KubeView kube,
      Converger converger,
      Problems problems,
      dev.weft.store.objects.ObjectCache cache) {
    this.config = config;
    this.kube = kube;
    this.converger = converger;
    this.problems = problems;
    this.cache = cache;
  }

  Converger.Outcome reconcile(String key, String name, long generation) {
    Optional<NamespaceInfo> ns = kube.namespace(name);
    if (ns.isEmpty()) {
      return converger.converge(key, List.of(), null);
    }
    NamespaceInfo info = ns.get();
    List<ConfigObject> desired;
    try {
      desired = NamespaceObjects.desired(config, info);
    } catch (InputException e) {
      // Keep whatever the namespace had: changing networks on a typo would cut pods off.
      report(key, info, generation, e);
      return null;
    }
    NamespaceSettings settings = NamespaceSettings.of(info);
    // Isolated networks link to the cluster's IPAMs: wait for the cluster's own objects rather
    // than create networks with dangling references.
    try {
      for (ConfigObject o : desired) {
        if (o instanceof dev.weft.model.VirtualNetwork vn) {
          IpamReadiness.require(vn, cache);
        }
      }
    } catch (InputException e) {
      report(key, info, generation, e);
      return null;
    }
    Converger.Outcome outcome = converger.converge(key, desired, null);
    if (settings.network() != null
        && cache.get(ObjectType.VIRTUAL_NETWORK, settings.network()).isEmpty()) {
      report(
          key,
          info,
          generation,
          new InputException(
              "NetworkNotFound",
              "namespace \""
                  + name
                  + "\": annotation opencontrail.org/network: network "
                  + settings.network()
                  + " does not exist; create it (weft apply a VirtualNetwork) and its pods will"
                  + " be placed",
              "network:" + settings.network()));
    } else {
      problems.clear(key);
    }
    if (!outcome.deferred().isEmpty()) {
      log.info("{}: waiting to delete {}", key, outcome.deferred());
    }
    return outcome;
  }

  private void report(String key, NamespaceInfo ns, long generation, InputException e) {
    problems.report(key, "Namespace", "", ns.name(), ns.uid(), generation, e);
  }
}
