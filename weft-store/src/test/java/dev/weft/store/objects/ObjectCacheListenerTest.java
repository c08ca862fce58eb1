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
}
