package dev.weft.kube.reconcile;

import dev.weft.kube.translate.InputException;
import dev.weft.model.IpamLink;
import dev.weft.model.ObjectType;
import dev.weft.model.VirtualNetwork;
import dev.weft.store.objects.ObjectCache;

/**
 * Whether the IPAMs a network links to exist yet. Right after start-up a namespace's network, or a
 * pod on it, can be reconciled before the cluster's own IPAMs are written; that is a transient
 * wait, not bad input.
 */
final class IpamReadiness {
  private IpamReadiness() {}

  /**
   * @throws InputException (transient, waiting on the IPAM) when a linked IPAM is missing
   */
  static void require(VirtualNetwork network, ObjectCache cache) {
    for (IpamLink link : network.networkIpamRefs()) {
      if (cache.get(ObjectType.NETWORK_IPAM, link.ipam().uuid()).isEmpty()) {
        throw new InputException(
            "IpamNotReady",
            "network " + network.fqName() + ": IPAM " + link.ipam().to() + " does not exist yet",
            "object:" + link.ipam().to(),
            true);
      }
    }
  }
}
