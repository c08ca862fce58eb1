package dev.weft.kube.embedded;

import dev.weft.model.IpFamily;
import dev.weft.model.IpPrefix;
import java.math.BigInteger;
import java.util.ArrayList;
import java.util.Collection;
import java.util.EnumMap;
import java.util.HashMap;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.function.Predicate;

/**
 * The API server's cluster-IP allocator, in memory: hands out addresses of the service subnets,
 * next-fit from above the static band, and remembers which service (by {@code namespace/name})
 * holds which, so that no address is handed out twice and a service that loses its address from its
 * spec (a create-or-replace without {@code clusterIP}) gets the same one back, as the real API
 * server keeps it on update.
 *
 * <p>Addresses a service asked for itself are not recorded here unless {@link #retain} is told of
 * them; callers pass a predicate saying which addresses other services already use. Thread-safe.
 */
final class ClusterIpAllocator {
  /** Beyond this many addresses a subnet is not scanned further (an IPv6 /64 is never full). */
  private static final long SCAN_LIMIT = 1L << 24;

  private final Map<IpFamily, List<Range>> ranges = new EnumMap<>(IpFamily.class);
  private final List<IpFamily> families = new ArrayList<>();
  private final Map<String, String> ownerOf = new HashMap<>();
  private final Map<String, Map<IpFamily, String>> held = new HashMap<>();

  /**
   * One subnet: usable offsets {@code [first, end)}, of which {@code [first, dynamic)} is the
   * static band, and where the next search of the dynamic band starts.
   */
  private static final class Range {
    final IpPrefix prefix;
    final long first;
    final long dynamic;
    final long end;
    long cursor;

    Range(IpPrefix prefix) {
      this.prefix = prefix;
      BigInteger size = prefix.size();
      // The network address is never handed out, nor the broadcast address of an IPv4 subnet.
      long last = size.min(BigInteger.valueOf(SCAN_LIMIT + 1)).longValueExact();
      if (prefix.family() == IpFamily.V4 && size.compareTo(BigInteger.valueOf(last)) == 0) {
        last--;
      }
      this.first = 1;
      this.end = Math.max(first, last);
      // As the API server (KEP-3070): the lowest size/16 addresses (16 to 256 of them) are left
      // for services that ask for a fixed address, such as 10.96.0.10 for DNS; dynamic
      // allocation takes them only when the rest is full.
      long band = size.compareTo(BigInteger.valueOf(16)) < 0 ? 0 : clamp(size.shiftRight(4));
      this.dynamic = Math.min(end, first + band);
      this.cursor = dynamic;
    }

    private static long clamp(BigInteger sixteenth) {
      return sixteenth.min(BigInteger.valueOf(256)).max(BigInteger.valueOf(16)).longValueExact();
    }

    /** The {@code step}-th offset to try: the dynamic band from the cursor, then the static. */
    long offset(long step) {
      long dynamicSpan = end - dynamic;
      if (step < dynamicSpan) {
        return dynamic + Math.floorMod(cursor - dynamic + step, dynamicSpan);
      }
      return first + (step - dynamicSpan);
    }

    void advancePast(long offset) {
      if (offset >= dynamic) {
        cursor = offset + 1 < end ? offset + 1 : dynamic;
      }
    }
  }

  /**
   * @param subnets the service subnets; the family of the first is the cluster's primary family
   */
  ClusterIpAllocator(List<IpPrefix> subnets) {
    if (subnets.isEmpty()) {
      throw new IllegalArgumentException("no service subnets to allocate cluster IPs from");
    }
    for (IpPrefix subnet : subnets) {
      ranges.computeIfAbsent(subnet.family(), f -> new ArrayList<>()).add(new Range(subnet));
      if (!families.contains(subnet.family())) {
        families.add(subnet.family());
      }
    }
  }

  /** The families the service subnets cover, the primary one first. */
  List<IpFamily> families() {
    return List.copyOf(families);
  }

  /**
   * The address of {@code family} for {@code owner}: the one it already holds, else the next free
   * one (neither held here nor {@code usedElsewhere}), which it then holds. Null when the family
   * has no subnet or its subnets are full.
   */
  synchronized String assign(String owner, IpFamily family, Predicate<String> usedElsewhere) {
    Map<IpFamily, String> mine = held.get(owner);
    if (mine != null && mine.containsKey(family)) {
      return mine.get(family);
    }
    for (Range range : ranges.getOrDefault(family, List.of())) {
      long span = range.end - range.first;
      for (long step = 0; step < span; step++) {
        long offset = range.offset(step);
        String address = range.prefix.addressAt(BigInteger.valueOf(offset));
        if (!ownerOf.containsKey(address) && !usedElsewhere.test(address)) {
          range.advancePast(offset);
          hold(owner, family, address);
          return address;
        }
      }
    }
    return null;
  }

  /**
   * Makes {@code owner} hold exactly the given addresses of the service subnets (others it held are
   * released); an address another owner holds stays with that owner.
   */
  synchronized void retain(String owner, Collection<String> addresses) {
    Set<String> keep = new LinkedHashSet<>();
    for (String address : addresses) {
      String canonical = canonical(address);
      if (canonical != null && inSubnets(canonical)) {
        keep.add(canonical);
      }
    }
    Map<IpFamily, String> mine = held.getOrDefault(owner, Map.of());
    for (String address : List.copyOf(mine.values())) {
      if (!keep.contains(address)) {
        ownerOf.remove(address);
        held.get(owner).values().remove(address);
      }
    }
    for (String address : keep) {
      String current = ownerOf.get(address);
      if (current == null || current.equals(owner)) {
        hold(owner, family(address), address);
      }
    }
    if (held.containsKey(owner) && held.get(owner).isEmpty()) {
      held.remove(owner);
    }
  }

  /** Releases every address {@code owner} holds. */
  synchronized void release(String owner) {
    Map<IpFamily, String> mine = held.remove(owner);
    if (mine != null) {
      mine.values().forEach(ownerOf::remove);
    }
  }

  /** Who holds {@code address}, or null. */
  synchronized String owner(String address) {
    String canonical = canonical(address);
    return canonical == null ? null : ownerOf.get(canonical);
  }

  private void hold(String owner, IpFamily family, String address) {
    Map<IpFamily, String> mine = held.computeIfAbsent(owner, o -> new EnumMap<>(IpFamily.class));
    String previous = mine.put(family, address);
    if (previous != null && !previous.equals(address)) {
      ownerOf.remove(previous);
    }
    ownerOf.put(address, owner);
  }

  private boolean inSubnets(String address) {
    for (Range range : ranges.getOrDefault(family(address), List.of())) {
      if (range.prefix.contains(address)) {
        return true;
      }
    }
    return false;
  }

  static IpFamily family(String address) {
    return address.indexOf(':') >= 0 ? IpFamily.V6 : IpFamily.V4;
  }

  /** The canonical text of an address, or null when it is not one. */
  static String canonical(String address) {
    try {
      return IpPrefix.canonicalAddress(address);
    } catch (IllegalArgumentException e) {
      return null;
    }
  }
}
