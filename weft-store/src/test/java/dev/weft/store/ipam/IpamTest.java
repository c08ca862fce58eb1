package dev.weft.store.ipam;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.weft.model.IpFamily;
import dev.weft.model.Subnet;
import dev.weft.store.ConfigStore;
import dev.weft.store.Txn;
import dev.weft.store.TxnResult;
import dev.weft.store.memory.MemoryConfigStore;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Random;
import java.util.Set;
import java.util.concurrent.ConcurrentLinkedQueue;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.TimeUnit;
import java.util.stream.IntStream;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.MethodSource;

class IpamTest {
  private final ConfigStore store = new MemoryConfigStore();
  private final List<Ipam> ipams = new ArrayList<>();

  @AfterEach
  void close() {
    ipams.forEach(Ipam::close);
    store.close();
  }

  private Ipam ipam() {
    Ipam i = new Ipam(store);
    ipams.add(i);
    return i;
  }

  /** Reserves and commits; returns the address or null when the commit lost a race. */
  private static String allocate(
      ConfigStore store, Ipam ipam, List<Subnet> subnets, String holder) {
    Reservation r = ipam.reserve("pool", subnets, IpFamily.V4, null, holder);
    TxnResult result = store.txn(Txn.of(List.of(r.guard()), List.of(r.put())));
    ipam.settle(r, result.succeeded());
    return result.succeeded() ? r.address() : null;
  }

  @Test
  void skipsNetworkGatewayAndBroadcastAddresses() {
    Ipam ipam = ipam();
    List<Subnet> subnets = List.of(Subnet.of("10.0.0.0/29"));
    List<String> got = new ArrayList<>();
    for (int i = 0; i < 5; i++) {
      got.add(allocate(store, ipam, subnets, "h" + i));
    }
    assertThat(got).containsExactly("10.0.0.2", "10.0.0.3", "10.0.0.4", "10.0.0.5", "10.0.0.6");
    assertThatThrownBy(() -> ipam.reserve("pool", subnets, IpFamily.V4, null, "x"))
        .isInstanceOf(IpamException.class)
        .hasMessageContaining("no free v4 address left in [10.0.0.0/29]");
  }

  @Test
  void releasedAddressIsGivenAgain() {
    Ipam ipam = ipam();
    List<Subnet> subnets = List.of(Subnet.of("10.0.0.0/29"));
    for (int i = 0; i < 5; i++) {
      allocate(store, ipam, subnets, "h" + i);
    }
    store.txn(Txn.of(List.of(), List.of(Ipam.release("pool", "10.0.0.4"))));
    assertThat(allocate(store, ipam, subnets, "again")).isEqualTo("10.0.0.4");
  }

  @Test
  void requestedAddressIsHonouredOrRefusedWithTheReason() {
    Ipam ipam = ipam();
    List<Subnet> subnets = List.of(Subnet.of("10.1.0.0/24"));
    Reservation r = ipam.reserve("pool", subnets, IpFamily.V4, "10.1.0.77", "a");
    assertThat(r.address()).isEqualTo("10.1.0.77");
    store.txn(Txn.of(List.of(r.guard()), List.of(r.put())));
    ipam.settle(r, true);
    assertThatThrownBy(() -> ipam.reserve("pool", subnets, IpFamily.V4, "10.1.0.77", "b"))
        .hasMessageContaining("already in use");
    assertThatThrownBy(() -> ipam.reserve("pool", subnets, IpFamily.V4, "10.2.0.1", "b"))
        .hasMessageContaining("outside subnets");
    assertThatThrownBy(() -> ipam.reserve("pool", subnets, IpFamily.V4, "10.1.0.1", "b"))
        .hasMessageContaining("gateway");
    assertThatThrownBy(() -> ipam.reserve("pool", subnets, IpFamily.V4, "10.1.0.255", "b"))
        .hasMessageContaining("broadcast");
  }

  @Test
  void allocatesIpv6FromAnIpv6Subnet() {
    Ipam ipam = ipam();
    List<Subnet> subnets = List.of(Subnet.of("10.0.0.0/24"), Subnet.of("fd00:10::/64"));
    Reservation r = ipam.reserve("pool", subnets, IpFamily.V6, null, "a");
    assertThat(r.address()).isEqualTo("fd00:10::2");
    assertThat(r.subnet().prefix().toString()).isEqualTo("fd00:10::/64");
  }

  @Test
  void spillsIntoTheNextSubnetWhenTheFirstIsFull() {
    Ipam ipam = ipam();
    List<Subnet> subnets = List.of(Subnet.of("10.0.0.0/30"), Subnet.of("10.0.1.0/30"));
    assertThat(allocate(store, ipam, subnets, "a")).isEqualTo("10.0.0.2");
    assertThat(allocate(store, ipam, subnets, "b")).isEqualTo("10.0.1.2");
  }

  static IntStream seeds() {
    return IntStream.range(0, 8);
  }

  /**
   * Several allocators (two of them separate Ipam instances, as two processes would have) race for
   * a small subnet: every committed address is distinct, and exactly as many commit as the subnet
   * holds.
   */
  @ParameterizedTest(name = "seed {0}")
  @MethodSource("seeds")
  void concurrentAllocatorsNeverGiveAnAddressTwice(int seed) throws Exception {
    Random random = new Random(seed);
    int prefix = 24 + random.nextInt(4);
    List<Subnet> subnets = List.of(Subnet.of("10.9.0.0/" + prefix));
    int capacity = (1 << (32 - prefix)) - 3;
    List<Ipam> allocators = List.of(ipam(), ipam());
    int threads = 6;
    ConcurrentLinkedQueue<String> committed = new ConcurrentLinkedQueue<>();
    ExecutorService pool = Executors.newFixedThreadPool(threads);
    CountDownLatch start = new CountDownLatch(1);
    try {
      for (int t = 0; t < threads; t++) {
        Ipam mine = allocators.get(t % 2);
        int id = t;
        pool.submit(
            () -> {
              start.await();
              for (int attempt = 0; attempt < capacity * 3; attempt++) {
                try {
                  String a = allocate(store, mine, subnets, "t" + id);
                  if (a != null) {
                    committed.add(a);
                  }
                } catch (IpamException e) {
                  return null;
                }
              }
              return null;
            });
      }
      start.countDown();
    } finally {
      pool.shutdown();
      assertThat(pool.awaitTermination(60, TimeUnit.SECONDS)).isTrue();
    }
    Set<String> unique = new HashSet<>(committed);
    assertThat(unique).as("seed %d: duplicates in %s", seed, committed).hasSameSizeAs(committed);
    assertThat(unique).as("seed %d", seed).hasSize(capacity);
    assertThat(store.range(Ipam.PREFIX).kvs()).hasSize(capacity);
  }

  /** Random reserve/release sequences: the store always holds exactly the live addresses. */
  @ParameterizedTest(name = "seed {0}")
  @MethodSource("seeds")
  void releaseThenReuseKeepsTheStoreExact(int seed) {
    Random random = new Random(seed);
    Ipam ipam = ipam();
    List<Subnet> subnets = List.of(Subnet.of("10.7.0.0/28"));
    List<String> live = new ArrayList<>();
    for (int step = 0; step < 300; step++) {
      if (!live.isEmpty() && random.nextInt(3) == 0) {
        String a = live.remove(random.nextInt(live.size()));
        store.txn(Txn.of(List.of(), List.of(Ipam.release("pool", a))));
      } else if (live.size() < 13) {
        String a = allocate(store, ipam, subnets, "s" + step);
        assertThat(a).as("seed %d step %d", seed, step).isNotNull().isNotIn(live);
        live.add(a);
      } else {
        assertThatThrownBy(() -> ipam.reserve("pool", subnets, IpFamily.V4, null, "full"))
            .isInstanceOf(IpamException.class);
      }
    }
    assertThat(store.range(Ipam.PREFIX).kvs()).hasSize(live.size());
  }
}
