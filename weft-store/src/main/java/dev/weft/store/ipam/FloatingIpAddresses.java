package dev.weft.store.ipam;

import dev.weft.model.FloatingIp;
import dev.weft.model.FloatingIpPool;
import dev.weft.model.IpFamily;
import dev.weft.model.IpPrefix;
import dev.weft.model.ObjectType;
import dev.weft.model.Subnet;
import dev.weft.model.VirtualNetwork;
import dev.weft.store.Operation;
import dev.weft.store.objects.ObjectCache;
import dev.weft.store.objects.Stored;
import java.math.BigInteger;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;

/**
 * Addresses of floating IPs, for every allocator of them (the config API for users' floating IPs,
 * the kube-manager for services'): reserved through {@link Ipam} in the same reservation pool as
 * the interface addresses of the pool's network ({@link AddressPool#of}), so a floating IP never
 * collides with an interface address or with another floating IP, and restricted to the pool's own
 * subnets when it has some.
 */
public final class FloatingIpAddresses {
  private static final BigInteger SMALL = BigInteger.valueOf(256);

  private final ObjectCache cache;
  private final Ipam ipam;

  public FloatingIpAddresses(ObjectCache cache, Ipam ipam) {
    this.cache = cache;
    this.ipam = ipam;
  }

  /** The network {@code pool} hands out addresses of. */
  public VirtualNetwork network(FloatingIpPool pool) {
    return cache
        .<VirtualNetwork>get(ObjectType.VIRTUAL_NETWORK, pool.parent().uuid())
        .map(Stored::object)
        .orElseThrow(
            () ->
                new FloatingIpException(
                    FloatingIpException.Kind.NETWORK_GONE,
                    "virtual network "
                        + pool.parent().to()
                        + " of pool "
                        + pool.fqName()
                        + " is gone"));
  }

  /** Where {@code pool}'s addresses are reserved: its network's reservation pool. */
  public AddressPool reservations(FloatingIpPool pool) {
    VirtualNetwork network = network(pool);
    return AddressPool.of(network, cache)
        .orElseThrow(
            () ->
                new FloatingIpException(
                    FloatingIpException.Kind.NO_SUBNETS,
                    "virtual network "
                        + network.fqName()
                        + " has no subnets, so pool "
                        + pool.fqName()
                        + " has no addresses"));
  }

  /** The prefixes {@code pool}'s addresses come from: its own subnets, else its network's. */
  public List<IpPrefix> range(FloatingIpPool pool) {
    if (!pool.subnets().isEmpty()) {
      return pool.subnets();
    }
    return reservations(pool).subnets().stream().map(Subnet::prefix).toList();
  }

  /** Whether {@code address} may be a floating IP of {@code pool} (inside it, not special). */
  public boolean inside(FloatingIpPool pool, String address) {
    String a = IpPrefix.canonicalAddress(address);
    return range(pool).stream().anyMatch(p -> p.contains(a))
        && !special(reservations(pool).subnets(), a);
  }

  /**
   * Reserves {@code requested}, or a free address when null (of {@code preferred} family first,
   * then any other the pool has), for a floating IP of {@code pool}. Add the reservation's guard
   * and put to the transaction that creates the floating IP, then {@link #settle} it.
   *
   * @param holder recorded as the reservation's value
   * @throws FloatingIpException saying why no address can be given
   */
  public Reservation reserve(
      FloatingIpPool pool, String requested, IpFamily preferred, String holder) {
    AddressPool reservations = reservations(pool);
    List<Subnet> subnets = reservations.subnets();
    if (requested != null) {
      String address = IpPrefix.canonicalAddress(requested);
      List<IpPrefix> range = range(pool);
      if (range.stream().noneMatch(p -> p.contains(address))) {
        throw new FloatingIpException(
            FloatingIpException.Kind.OUTSIDE_POOL,
            "address "
                + address
                + " is not inside pool "
                + pool.fqName()
                + " ("
                + String.join(", ", range.stream().map(IpPrefix::toString).toList())
                + ")");
      }
      if (special(subnets, address)) {
        throw new FloatingIpException(
            FloatingIpException.Kind.SPECIAL_ADDRESS,
            "address "
                + address
                + " is the network, gateway or broadcast address of a subnet of "
                + network(pool).fqName());
      }
      try {
        return ipam.reserve(reservations.id(), subnets, family(address), address, holder);
      } catch (IpamException e) {
        throw new FloatingIpException(
            FloatingIpException.Kind.IN_USE, "pool " + pool.fqName() + ": " + e.getMessage());
      }
    }
    if (pool.subnets().isEmpty()) {
      for (IpFamily family : families(subnets.stream().map(Subnet::prefix).toList(), preferred)) {
        try {
          return ipam.reserve(reservations.id(), subnets, family, null, holder);
        } catch (IpamException e) {
          // this family is full; try the next
        }
      }
    } else {
      for (IpFamily family : families(pool.subnets(), preferred)) {
        for (IpPrefix p : pool.subnets()) {
          if (p.family() != family) {
            continue;
          }
          Optional<Reservation> r = reserveIn(reservations.id(), subnets, p, holder);
          if (r.isPresent()) {
            return r.get();
          }
        }
      }
    }
    throw new FloatingIpException(
        FloatingIpException.Kind.EXHAUSTED, "pool " + pool.fqName() + " has no free address left");
  }

  /** The families of {@code prefixes}, {@code preferred} first when it is one of them. */
  private static List<IpFamily> families(List<IpPrefix> prefixes, IpFamily preferred) {
    List<IpFamily> out = new ArrayList<>();
    if (preferred != null && prefixes.stream().anyMatch(p -> p.family() == preferred)) {
      out.add(preferred);
    }
    for (IpPrefix p : prefixes) {
      if (!out.contains(p.family())) {
        out.add(p.family());
      }
    }
    return out;
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
            .filter(g -> g != null && restriction.contains(g))
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

  /** Ends a reservation's pending state once its transaction committed or failed. */
  public void settle(Reservation reservation, boolean committed) {
    ipam.settle(reservation, committed);
  }

  /** The write that frees a floating IP's address; empty when its pool or network is gone. */
  public static Optional<Operation> release(FloatingIp fip, ObjectCache cache) {
    return reservationPool(fip, cache).map(id -> Ipam.release(id, fip.address()));
  }

  /** The reservation pool holding {@code fip}'s address; empty when its pool or network is gone. */
  public static Optional<String> reservationPool(FloatingIp fip, ObjectCache cache) {
    return cache
        .<FloatingIpPool>get(ObjectType.FLOATING_IP_POOL, fip.parent().uuid())
        .map(Stored::object)
        .flatMap(
            pool -> cache.<VirtualNetwork>get(ObjectType.VIRTUAL_NETWORK, pool.parent().uuid()))
        .map(Stored::object)
        .flatMap(n -> AddressPool.of(n, cache))
        .map(AddressPool::id);
  }

  private static IpFamily family(String address) {
    return address.indexOf(':') >= 0 ? IpFamily.V6 : IpFamily.V4;
  }

  /** True for the network, gateway and (IPv4) broadcast address of the subnet holding it. */
  private static boolean special(List<Subnet> subnets, String address) {
    for (Subnet subnet : subnets) {
      if (subnet.prefix().contains(address)) {
        return Ipam.reservedInSubnet(subnet, address);
      }
    }
    return false;
  }
}
