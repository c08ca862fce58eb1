package dev.weft.store.memory;

import static org.assertj.core.api.Assertions.assertThat;

import dev.weft.store.ConfigStore;
import dev.weft.store.ConfigStoreContract;
import dev.weft.store.EventCollector;
import org.junit.jupiter.api.Test;

class MemoryConfigStoreTest extends ConfigStoreContract {

  @Override
  protected ConfigStore newStore() {
    return new MemoryConfigStore();
  }

  @Test
  void historyBeyondKeepRevisionsIsCompactedAutomatically() {
    ConfigStore store = new MemoryConfigStore(10);
    try (store) {
      for (int i = 0; i < 30; i++) {
        put(store, "k/" + i, "v");
      }
      EventCollector tooOld = watch(store, "k/", 5);
      EventCollector kept = watch(store, "k/", 21);

      eventually().until(() -> tooOld.compactedAt() == 21 && kept.size() == 10);
      assertThat(kept.revisions().get(0)).isEqualTo(21);
    }
  }
}
