package dev.weft.store.ipam;

import dev.weft.model.IpFamily;
import dev.weft.model.IpPrefix;
import dev.weft.model.Subnet;
import dev.weft.store.Compare;
import dev.weft.store.ConfigStore;
import dev.weft.store.KeyValue;
import dev.weft.store.Operation;
import dev.weft.store.RangeResult;
import dev.weft.store.Watch;
import dev.weft.store.WatchEvent;
import dev.weft.store.WatchListener;
import java.math.BigInteger;
import java.nio.charset.StandardCharsets;
import java.util.HashMap;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;

/**
 * Chooses free addresses in pools of subnets. A reservation is the key {@code
 * /weft/ipam/POOL/ADDRESS} (value: the holder), created with an "absent" guard in the caller's
 * transaction: two allocators that pick the same address cannot both commit.
 *
 * <p>The in-memory view of which addresses are taken is only a hint that keeps the choice fast
 * (next-fit per subnet); the store's guard is what makes it correct. The view follows the store
 * through a watch, so reservations made by another process are seen too, and addresses handed out
 * but not yet settled are skipped so concurrent reconcilers in this process do not collide.
 *
 * <p>Thread-safe.
 */
public final class Ipam implements AutoCloseable {
  public static final String PREFIX = "/weft/ipam/";

  private final ConfigStore store;
  private final Map<String, PoolState> pools = new ConcurrentHashMap<>();
  private final Watch watch;

  public Ipam(ConfigStore store) {
    this.store = store;
    RangeResult all = store.range(PREFIX);
    for (KeyValue kv : all.kvs()) {
      taken(kv.key(), true, 0);
    }
    this.watch =
        store.watch(
            PREFIX,
            all.revision() + 1,
            new WatchListener() {
              @Override
              public void onEvents(List<WatchEvent> events) {
                for (WatchEvent e : events) {
                  taken(e.kv().key(), e.type() == WatchEvent.Type.PUT, e.kv().modRevision());
                }
              }

              @Override
              public void onCompacted(long compactRevision) {
                // The view is a hint; reload it wholesale from the current state.
                RangeResult now = store.range(PREFIX);
                pools.values().forEach(p -> p.clearTaken());
                for (KeyValue kv : now.kvs()) {
                  taken(kv.key(), true, 0);
                }
              }
            });
  }

  /** The key that reserves {@code address} in {@code pool}. */
  public static String key(String pool, String address) {
    return PREFIX + pool + "/" + address;
  }

  /** The write that releases an address; add it to the transaction deleting its user. */
  public static Operation release(String pool, String address) {
    return new Operation.Delete(key(pool, address));
  }

  private void taken(String key, boolean isTaken, long revision) {
    int slash = key.lastIndexOf('/');
    if (slash <= PREFIX.length()) {
      return;
    }
    String pool = key.substring(PREFIX.length(), slash);
    String address = key.substring(slash + 1);
    PoolState state = pools.computeIfAbsent(pool, p -> new PoolState());
    state.mark(address, isTaken, revision);
  }

  /**
   * Chooses an address of {@code family} in the first subnet of {@code subnets} with room, or
   * {@code requested} when given.
   *
   * @param pool the reservation namespace (an IPAM's flat pool, or a network's own subnets)
   * @param requested a fixed address to honour, or null
   * @param holder recorded as the reservation's value, for people reading the store
   * @throws IpamException when no address is free or the requested one is unusable
   */
  public Reservation reserve(
      String pool, List<Subnet> subnets, IpFamily family, String requested, String holder) {
    PoolState state = pools.computeIfAbsent(pool, p -> new PoolState());
    List<Subnet> candidates = subnets.stream().filter(s -> s.prefix().family() == family).toList();
    if (candidates.isEmpty()) {
      throw new IpamException(
          "pool " + pool + " has no " + family.wire() + " subnet (subnets: " + subnets + ")");
    }
    synchronized (state) {
      if (requested != null) {
        String address = IpPrefix.canonicalAddress(requested);
        Subnet subnet =
            candidates.stream()
                .filter(s -> s.prefix().contains(address))
                .findFirst()
                .orElseThrow(
                    () ->
                        new IpamException(
                            "requested address " + address + " is outside subnets " + subnets));
        if (reservedInSubnet(subnet, address)) {
          throw new IpamException(
              "requested address "
                  + address
                  + " is reserved in subnet "
                  + subnet.prefix()
                  + " (network, gateway or broadcast address)");
        }
        if (state.taken.contains(address) || state.pending.contains(address)) {
          throw new IpamException("requested address " + address + " is already in use");
        }
        state.pending.add(address);
        return reservation(pool, subnet, address, holder);
      }
      for (int pass = 0; pass < 2; pass++) {
        for (Subnet subnet : candidates) {
          String address = state.next(subnet);
          if (address != null) {
            state.pending.add(address);
            return reservation(pool, subnet, address, holder);
          }
        }
        // The view may lag releases that the watch has not delivered yet: exhaustion is only
        // declared after re-reading the pool from the store.
        refresh(pool, state);
      }
    }
    throw new IpamException(
        "no free "
            + family.wire()
            + " address left in "
            + candidates.stream().map(s -> s.prefix().toString()).toList()
            + " ("
            + state.taken.size()
            + " in use)");
  }

  private static Reservation reservation(
      String pool, Subnet subnet, String address, String holder) {
    String key = key(pool, address);
    return new Reservation(
        pool,
        subnet,
        address,
        Compare.absent(key),
        new Operation.Put(key, holder.getBytes(StandardCharsets.UTF_8)));
  }

  /**
   * Ends a reservation's pending state, whether its transaction committed or not. When it
   * committed, the watch (or {@code committed=true}) marks the address taken.
   */
  public void settle(Reservation r, boolean committed) {
    PoolState state = pools.get(r.pool());
    if (state == null) {
      return;
    }
    synchronized (state) {
      state.pending.remove(r.address());
      if (committed) {
        state.taken.add(r.address());
      }
    }
  }

  /** Number of reserved addresses in {@code pool}, as this process sees it. */
  public int used(String pool) {
    PoolState state = pools.get(pool);
    if (state == null) {
      return 0;
    }
    synchronized (state) {
      return state.taken.size();
    }
  }

  private void refresh(String pool, PoolState state) {
    RangeResult now = store.range(PREFIX + pool + "/");
    state.refreshedAt = now.revision();
    state.taken.clear();
    for (KeyValue kv : now.kvs()) {
      state.taken.add(kv.key().substring(kv.key().lastIndexOf('/') + 1));
    }
  }

  static boolean reservedInSubnet(Subnet subnet, String address) {
    IpPrefix p = subnet.prefix();
    BigInteger offset = p.offsetOf(address);
    if (offset.signum() == 0 || address.equals(subnet.gateway())) {
      return true;
    }
    return p.family() == IpFamily.V4 && offset.equals(p.size().subtract(BigInteger.ONE));
  }

  @Override
  public void close() {
    watch.close();
  }

  /** Taken and pending addresses of one pool, and a next-fit cursor per subnet. */
  private static final class PoolState {
    final Set<String> taken = new HashSet<>();
    final Set<String> pending = new HashSet<>();
    final Map<IpPrefix, BigInteger> cursor = new HashMap<>();
    long refreshedAt;

    synchronized void mark(String address, boolean isTaken, long revision) {
      if (revision != 0 && revision <= refreshedAt) {
        return; // older than the state re-read from the store; applying it would regress it
      }
      if (isTaken) {
        taken.add(address);
      } else {
        taken.remove(address);
      }
    }

    synchronized void clearTaken() {
      taken.clear();
    }

    /** Next free address after the cursor, wrapping once; null when the subnet is full. */
    String next(Subnet subnet) {
      IpPrefix p = subnet.prefix();
      BigInteger size = p.size();
      // Among any (busy + 1) distinct offsets at least one is free unless the subnet is full, and
      // busy (taken + pending across the pool, plus the three reserved offsets) bounds this
      // subnet's busy count from above; so a walk of that many steps decides.
      BigInteger steps = size.min(BigInteger.valueOf(taken.size() + pending.size() + 4L));
      BigInteger offset = cursor.getOrDefault(p, BigInteger.ONE);
      for (BigInteger i = BigInteger.ZERO; i.compareTo(steps) < 0; i = i.add(BigInteger.ONE)) {
        if (offset.compareTo(size) >= 0) {
          offset = BigInteger.ONE;
        }
        String address = p.addressAt(offset);
        offset = offset.add(BigInteger.ONE);
        if (!reservedInSubnet(subnet, address)
            && !taken.contains(address)
            && !pending.contains(address)) {
          cursor.put(p, offset);
          return address;
        }
      }
      return null;
    }
  }
}
