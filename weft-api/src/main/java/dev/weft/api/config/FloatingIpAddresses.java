package dev.weft.api.config;

import dev.weft.model.FloatingIp;
import dev.weft.model.FloatingIpPool;
import dev.weft.store.Operation;
import dev.weft.store.ipam.FloatingIpException;
import dev.weft.store.ipam.Ipam;
import dev.weft.store.ipam.Reservation;
import dev.weft.store.objects.ObjectCache;
import java.util.Optional;

/**
 * Addresses of users' floating IPs: the store's {@link dev.weft.store.ipam.FloatingIpAddresses},
 * which the kube-manager uses for services too, with its refusals answered as HTTP statuses.
 */
final class FloatingIpAddresses {
  private final ObjectCache cache;
  private final dev.weft.store.ipam.FloatingIpAddresses addresses;

  FloatingIpAddresses(ObjectCache cache, Ipam ipam) {
    this.cache = cache;
    this.addresses = new dev.weft.store.ipam.FloatingIpAddresses(cache, ipam);
  }

  /**
   * Reserves {@code requested} (or a free address when null) for a floating IP of {@code pool}. Add
   * the reservation's guard and put to the transaction, then {@link #settle} it.
   */
  Reservation reserve(FloatingIpPool pool, String requested, String holder) {
    try {
      return addresses.reserve(pool, requested, null, holder);
    } catch (FloatingIpException e) {
      throw switch (e.kind()) {
        case NETWORK_GONE -> ApiException.notFound(e.getMessage());
        case OUTSIDE_POOL, SPECIAL_ADDRESS -> ApiException.badRequest(e.getMessage());
        case NO_SUBNETS, IN_USE, EXHAUSTED -> ApiException.conflict(e.getMessage());
      };
    }
  }

  /** Ends a reservation's pending state once its transaction committed or failed. */
  void settle(Reservation reservation, boolean committed) {
    addresses.settle(reservation, committed);
  }

  /** The write that frees a floating IP's address; empty when its network is gone. */
  Optional<Operation> release(FloatingIp fip) {
    return dev.weft.store.ipam.FloatingIpAddresses.release(fip, cache);
  }
}
