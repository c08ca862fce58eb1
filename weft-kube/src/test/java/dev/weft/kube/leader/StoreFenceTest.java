package dev.weft.kube.leader;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.weft.kube.ClusterConfig;
import dev.weft.kube.reconcile.Converger;
import dev.weft.kube.reconcile.NotLeaderException;
import dev.weft.kube.translate.ClusterObjects;
import dev.weft.store.memory.MemoryConfigStore;
import dev.weft.store.objects.ObjectStore;
import java.util.List;
import java.util.concurrent.atomic.AtomicInteger;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

/**
 * The store fence: a successor's take-over stops every later commit of its predecessor, whatever
 * the predecessor believes; the object cache shows everything committed before the take-over.
 */
class StoreFenceTest {
  private final ClusterConfig config = ClusterConfig.defaults();
  private final MemoryConfigStore kv = new MemoryConfigStore();
  private final ObjectStore first = new ObjectStore(kv);
  private final ObjectStore second = new ObjectStore(kv);

  @AfterEach
  void close() {
    first.close();
    second.close();
    kv.close();
  }

  @Test
  void everyTakeOverIsTheNextEpoch() {
    StoreFence a = new StoreFence(first);
    StoreFence b = new StoreFence(second);
    assertThat(a.acquire("a")).isEqualTo(1);
    assertThat(b.acquire("b")).isEqualTo(2);
    assertThat(a.acquire("a")).isEqualTo(3);
    assertThat(b.current()).contains(new StoreFence.Holder(3, "a"));
  }

  @Test
  void deposedLeaderCannotCommitEvenBeforeItNotices() {
    StoreFence old = new StoreFence(first);
    AtomicInteger lost = new AtomicInteger();
    old.onLost(lost::incrementAndGet);
    Converger oldConverger = new Converger(first, old);
    old.acquire("old");
    assertThat(
            oldConverger
                .converge(ClusterObjects.key(), ClusterObjects.desired(config), null)
                .created())
        .isPositive();

    StoreFence successor = new StoreFence(second);
    successor.acquire("new");
    long revision = kv.revision();
    // The old leader still thinks it leads: it computes a change and tries to commit it.
    assertThatThrownBy(() -> oldConverger.converge(ClusterObjects.key(), List.of(), null))
        .isInstanceOf(NotLeaderException.class);
    assertThat(kv.revision()).isEqualTo(revision);
    assertThat(lost).hasValue(1);
    assertThat(old.held()).isFalse();
    // From then on it does not even try.
    assertThatThrownBy(() -> oldConverger.converge(ClusterObjects.key(), List.of(), null))
        .isInstanceOf(NotLeaderException.class);
    assertThat(lost).hasValue(1);

    // The successor's own commits pass.
    assertThat(
            new Converger(second, successor)
                .converge(ClusterObjects.key(), List.of(), null)
                .deleted())
        .isPositive();
  }

  @Test
  void releasedFenceWritesNothing() {
    StoreFence fence = new StoreFence(first);
    fence.acquire("a");
    fence.release();
    assertThatThrownBy(
            () ->
                new Converger(first, fence)
                    .converge(ClusterObjects.key(), ClusterObjects.desired(config), null))
        .isInstanceOf(NotLeaderException.class);
    assertThat(first.cache().ownerKeys()).isEmpty();
  }

  @Test
  void takeOverReturnsOnceTheCacheShowsEveryEarlierCommit() {
    StoreFence old = new StoreFence(first);
    old.acquire("old");
    long before =
        new Converger(first, old)
            .converge(ClusterObjects.key(), ClusterObjects.desired(config), null)
            .revision();
    StoreFence successor = new StoreFence(second);
    successor.acquire("new");
    assertThat(second.cache().revision()).isGreaterThan(before);
    assertThat(second.cache().ownedBy(ClusterObjects.key())).isNotEmpty();
  }

  @Test
  void objectCachesSkipTheFenceKey() {
    new StoreFence(first).acquire("a");
    assertThat(first.cache().ownerKeys()).isEmpty();
    try (ObjectStore third = new ObjectStore(kv)) {
      assertThat(third.cache().revision()).isEqualTo(kv.revision());
    }
  }
}
