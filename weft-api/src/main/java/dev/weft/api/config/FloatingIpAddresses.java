package dev.weft.api.config;

import dev.weft.model.FloatingIp;
import dev.weft.model.FloatingIpPool;
import dev.weft.model.IpFamily;
import dev.weft.model.IpPrefix;
import dev.weft.model.ObjectType;
import dev.weft.model.Subnet;
import dev.weft.model.VirtualNetwork;
import dev.weft.store.Operation;
import dev.weft.store.ipam.AddressPool;
import dev.weft.store.ipam.Ipam;
import dev.weft.store.ipam.IpamException;
import dev.weft.store.ipam.Reservation;
import dev.weft.store.objects.ObjectCache;
import dev.weft.store.objects.Stored;
import java.math.BigInteger;
import java.util.List;
import java.util.Optional;

/**
 * Addresses of floating IPs, reserved through Weft's {@link Ipam} in the same reservation pool as
 * the pod addresses of the pool's network, so a floating IP never collides with an interface
 * address.
 *
 * <p>The pool id follows the kube-manager's rule: a network with subnets of its own reserves under
 * its FQ name, a network on flat IPAM subnets under the IPAM's FQ name.
 */
final class FloatingIpAddresses {
  private static final BigInteger SMALL = BigInteger.valueOf(256);

  private final ObjectCache cache;
  private final Ipam ipam;

  FloatingIpAddresses(ObjectCache cache, Ipam ipam) {
    this.cache = cache;
    this.ipam = ipam;
  }

  private Optional<AddressPool> networkPool(VirtualNetwork network) {
    return AddressPool.of(network, cache);
  }

  private VirtualNetwork network(FloatingIpPool pool) {
    return cache
        .<VirtualNetwork>get(ObjectType.VIRTUAL_NETWORK, pool.parent().uuid())
        .map(Stored::object)
        .orElseThrow(
            () ->
                ApiException.notFound(
                    "virtual network "
                        + pool.parent().to()
                        + " of "
                        + Nouns.describe(pool)
                        + " is gone"));
  }

  /**
   * Reserves {@code requested} (or a free address when null) for a floating IP of {@code pool}. Add
   * the reservation's guard and put to the transaction, then {@link #settle} it.
   */
  Reservation reserve(FloatingIpPool pool, String requested, String holder) {
    VirtualNetwork network = network(pool);
    AddressPool reservations =
        networkPool(network)
            .orElseThrow(
                () ->
                    ApiException.conflict(
                        Nouns.describe(network)
                            + " has no subnets, so "
                            + Nouns.describe(pool)
                            + " has no addresses"));
    List<Subnet> subnets = reservations.subnets();
    if (requested != null) {
      String address = IpPrefix.canonicalAddress(requested);
      if (special(subnets, address)) {
        throw ApiException.badRequest(
            "address "
                + address
                + " is the network, gateway or broadcast address of a subnet of "
                + Nouns.describe(network));
      }
      try {
        return ipam.reserve(reservations.id(), subnets, family(address), address, holder);
      } catch (IpamException e) {
        throw ApiException.conflict(Nouns.describe(pool) + ": " + e.getMessage());
      }
    }
    if (pool.subnets().isEmpty()) {
      List<IpFamily> families =
          subnets.stream().map(sub -> sub.prefix().family()).distinct().toList();
      for (IpFamily family : families) {
        try {
          return ipam.reserve(reservations.id(), subnets, family, null, holder);
        } catch (IpamException e) {
          // this family is full; try the next
        }
      }
    } else {
      for (IpPrefix p : pool.subnets()) {
        Optional<Reservation> r = reserveIn(reservations.id(), subnets, p, holder);
        if (r.isPresent()) {
          return r.get();
        }
      }
    }
    throw ApiException.conflict(Nouns.describe(pool) + " has no free address left");
  }

  /** A free address inside {@code restriction}, a prefix within the network's subnets. */
  private Optional<Reservation> reserveIn(
      String id, List<Subnet> subnets, IpPrefix restriction, String holder) {
    if (restriction.size().compareTo(SMALL) <= 0) {
      // Small restrictions (down to a single /32) are walked address by address against the
      // network's own subnets, so only the network's special addresses are skipped.
      for (BigInteger i = BigInteger.ZERO;
          i.compareTo(restriction.size()) < 0;
          i = i.add(BigInteger.ONE)) {
        String address = restriction.addressAt(i);
        if (special(subnets, address)) {
          continue;
        }
        try {
          return Optional.of(ipam.reserve(id, subnets, restriction.family(), address, holder));
        } catch (IpamException e) {
          // taken; try the next
        }
      }
      return Optional.empty();
    }
    String gateway =
        subnets.stream()
            .map(Subnet::gateway)
            .filter(restriction::contains)
            .findFirst()
            .orElse(null);
    try {
      return Optional.of(
          ipam.reserve(
              id, List.of(new Subnet(restriction, gateway)), restriction.family(), null, holder));
    } catch (IpamException e) {
      return Optional.empty();
    }
  }

  private static IpFamily family(String address) {
    return address.indexOf(':') >= 0 ? IpFamily.V6 : IpFamily.V4;
  }

  /** Ends a reservation's pending state once its transaction committed or failed. */
  void settle(Reservation reservation, boolean committed) {
    ipam.settle(reservation, committed);
  }

  /** The write that frees a floating IP's address; empty when its network is gone. */
  Optional<Operation> release(FloatingIp fip) {
    return cache
        .<FloatingIpPool>get(ObjectType.FLOATING_IP_POOL, fip.parent().uuid())
        .map(Stored::object)
        .flatMap(
            pool -> cache.<VirtualNetwork>get(ObjectType.VIRTUAL_NETWORK, pool.parent().uuid()))
        .map(Stored::object)
        .flatMap(this::networkPool)
        .map(p -> Ipam.release(p.id(), fip.address()));
  }

  /** True for the network, gateway and (IPv4) broadcast address of the subnet holding it. */
  private static boolean special(List<Subnet> subnets, String address) {
    for (Subnet subnet : subnets) {
      IpPrefix p = subnet.prefix();
      if (!p.contains(address)) {
        continue;
      }
      BigInteger offset = p.offsetOf(address);
      return offset.signum() == 0
          || address.equals(subnet.gateway())
          || (p.family() == IpFamily.V4 && offset.equals(p.size().subtract(BigInteger.ONE)));
    }
    return false;
  }
}
