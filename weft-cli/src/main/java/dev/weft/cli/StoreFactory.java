package dev.weft.cli;

import dev.weft.store.ConfigStore;
import dev.weft.store.etcd.EtcdConfigStore;
import dev.weft.store.etcd.EtcdStoreConfig;
import dev.weft.store.sqlite.SqliteConfigStore;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;

/** Opens the config store that {@code --store} names: SQLite (the default) or etcd. */
final class StoreFactory {
  static final String FORMS = "sqlite:FILE or etcd://HOST:PORT[,HOST:PORT...][/NAMESPACE]";

  private StoreFactory() {}

  /**
   * The URL another process (a lab's agent) opens for the same store: {@code url}, or the default
   * SQLite file's, as an absolute path.
   */
  static String url(String url, Path dataDir) {
    if (url == null || url.isBlank()) {
      return "sqlite:" + dataDir.toAbsolutePath().resolve("weft.db");
    }
    if (url.startsWith("sqlite:")) {
      return "sqlite:" + Path.of(url.substring("sqlite:".length())).toAbsolutePath();
    }
    return url;
  }

  /**
   * Opens {@code url}; null or blank means SQLite in {@code dataDir/weft.db}.
   *
   * @throws IllegalArgumentException if {@code url} is neither form, saying what is expected
   */
  static ConfigStore open(String url, Path dataDir) throws IOException {
    if (url == null || url.isBlank()) {
      return SqliteConfigStore.open(dataDir.resolve("weft.db"));
    }
    if (url.startsWith("sqlite:")) {
      Path file = Path.of(url.substring("sqlite:".length()));
      if (file.getParent() != null) {
        Files.createDirectories(file.getParent());
      }
      return SqliteConfigStore.open(file);
    }
    if (url.startsWith("etcd://")) {
      EtcdStoreConfig config;
      try {
        config = EtcdStoreConfig.parse(url);
      } catch (IllegalArgumentException e) {
        throw new IllegalArgumentException("--store: " + e.getMessage(), e);
      }
      return EtcdConfigStore.connect(config);
    }
    throw new IllegalArgumentException("--store " + url + ": expected " + FORMS);
  }
}
