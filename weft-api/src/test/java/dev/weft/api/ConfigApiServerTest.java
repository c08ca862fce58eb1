package dev.weft.api;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.weft.api.security.ApiSecurity;
import dev.weft.api.security.BearerTokens;
import dev.weft.api.security.TokenFile;
import dev.weft.store.memory.MemoryConfigStore;
import dev.weft.store.objects.ObjectStore;
import java.net.ServerSocket;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

class ConfigApiServerTest {
  private final MemoryConfigStore kv = new MemoryConfigStore();
  private final ObjectStore objects = new ObjectStore(kv);

  @AfterEach
  void close() {
    objects.close();
    kv.close();
  }

  @Test
  void portZeroBindsAFreePortAndReportsIt() {
    try (ConfigApiServer server = new ConfigApiServer(objects).start("127.0.0.1", 0)) {
      assertThat(server.port()).isPositive();
      assertThat(server.url()).isEqualTo("http://127.0.0.1:" + server.port());
    }
  }

  @Test
  void wildcardHostIsReachedThroughLoopback() {
    // A wildcard listener is reachable from other machines: it needs tokens.
    ApiSecurity tokens =
        ApiSecurity.defaults()
            .withTokens(
                BearerTokens.of(TokenFile.parse("0123456789abcdef0123 read-only\n", "tokens")));
    try (ConfigApiServer server =
        new ConfigApiServer(objects).withSecurity(tokens).start("0.0.0.0", 0)) {
      assertThat(server.url()).isEqualTo("http://127.0.0.1:" + server.port());
    }
  }

  @Test
  void aTakenPortIsReportedWithTheAddress() throws Exception {
    try (ServerSocket taken = new ServerSocket(0, 1, java.net.InetAddress.getLoopbackAddress())) {
      ConfigApiServer server = new ConfigApiServer(objects);

      assertThatThrownBy(() -> server.start("127.0.0.1", taken.getLocalPort()))
          .isInstanceOf(IllegalStateException.class)
          .hasMessageContaining("cannot listen on 127.0.0.1:" + taken.getLocalPort());
      assertThat(server.port()).isEqualTo(-1);
    }
  }

  @Test
  void startingTwiceIsRefusedAndCloseIsIdempotent() {
    ConfigApiServer server = new ConfigApiServer(objects).start("127.0.0.1", 0);

    assertThatThrownBy(() -> server.start("127.0.0.1", 0))
        .isInstanceOf(IllegalStateException.class)
        .hasMessageContaining("already started");
    server.close();
    server.close();
    assertThat(server.port()).isEqualTo(-1);
  }
}
