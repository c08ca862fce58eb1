package dev.weft.store.objects;

import static org.assertj.core.api.Assertions.assertThat;

import dev.weft.model.ConfigObject;
import dev.weft.model.FqName;
import dev.weft.model.Project;
import dev.weft.store.memory.MemoryConfigStore;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.UUID;
import java.util.concurrent.CopyOnWriteArrayList;
import org.junit.jupiter.api.Test;

/** Listeners hear of a transaction only once all of it is in the cache. */
class ObjectCacheListenerTest {

  private static Project project(String name) {
    return new Project(UUID.randomUUID(), FqName.of("default-domain", name), null, Map.of());
  }

  @Test
  void aListenerToldOfOneObjectFindsEveryObjectOfItsTransaction() {
    try (ObjectStore store = new ObjectStore(new MemoryConfigStore())) {
      List<String> seen = new CopyOnWriteArrayList<>();
      List<Long> applied = new CopyOnWriteArrayList<>();
      store
          .cache()
          .addListener(
              new ObjectCache.Listener() {
                @Override
                public void onChange(ConfigObject before, ConfigObject after) {
                  // Each project of the batch must already be visible when the first is told.
                  int visible = store.cache().count(dev.weft.model.ObjectType.PROJECT);
                  seen.add(after.fqName().name() + ":" + visible);
                }

                @Override
                public void onApplied(long revision) {
                  applied.add(revision);
                }
              });
      List<Project> batch = new ArrayList<>();
      for (int i = 0; i < 20; i++) {
        batch.add(project("p" + i));
      }
      ObjectTxn txn = store.begin();
      batch.forEach(txn::create);
      long rev = store.commit(txn);
      store.awaitVisible(rev);
      org.awaitility.Awaitility.await().until(() -> applied.contains(rev));
      assertThat(seen).hasSize(20).allMatch(s -> s.endsWith(":20"));
      assertThat(store.cache().revision()).isGreaterThanOrEqualTo(rev);
    }
  }

  @Test
  void theCacheKnowsWhenEachObjectWasCreatedAcrossUpdates() {
    try (ObjectStore store = new ObjectStore(new MemoryConfigStore())) {
      Project a = project("a");
      long created = store.commit(store.begin().create(a));
      store.commit(store.begin().create(project("b")));
      store.awaitVisible(created);
      Stored<Project> first =
          store.cache().<Project>get(dev.weft.model.ObjectType.PROJECT, a.uuid()).orElseThrow();
      Project renamed = new Project(a.uuid(), a.fqName(), null, Map.of("weft.dev/changed", "yes"));
      long updated = store.commit(store.begin().update(first, renamed));
      store.awaitVisible(updated);
      Stored<Project> now =
          store.cache().<Project>get(dev.weft.model.ObjectType.PROJECT, a.uuid()).orElseThrow();
      assertThat(now.createRevision()).isEqualTo(created);
      assertThat(now.modRevision()).isEqualTo(updated).isGreaterThan(created);
      // A cache started afterwards (a restarted agent) reads the same creation revision.
      try (ObjectCache fresh = new ObjectCache(store.kv(), new ObjectCodec()).start()) {
        assertThat(
                fresh
                    .<Project>get(dev.weft.model.ObjectType.PROJECT, a.uuid())
                    .orElseThrow()
                    .createRevision())
            .isEqualTo(created);
      }
    }
  }
}
