package dev.weft.agent.cni;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.io.IOException;
import java.net.StandardProtocolFamily;
import java.net.UnixDomainSocketAddress;
import java.nio.ByteBuffer;
import java.nio.channels.SocketChannel;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

/** The CNI socket's framing: what a client that breaks it gets, without a node behind it. */
class CniServerTest {
  private static final ObjectMapper JSON = new ObjectMapper();

  @TempDir Path dir;

  /** Sends {@code request} (null: nothing) and reads the one-line answer. */
  private static JsonNode exchange(Path socket, String request) throws IOException {
    try (SocketChannel c = SocketChannel.open(StandardProtocolFamily.UNIX)) {
      c.connect(UnixDomainSocketAddress.of(socket));
      if (request != null) {
        c.write(ByteBuffer.wrap(request.getBytes(StandardCharsets.UTF_8)));
      }
      ByteBuffer in = ByteBuffer.allocate(1 << 16);
      while (c.read(in) >= 0) {
        if (in.position() > 0 && in.get(in.position() - 1) == '\n') {
          break;
        }
      }
      return JSON.readTree(new String(in.array(), 0, in.position(), StandardCharsets.UTF_8));
    }
  }

  @Test
  @Timeout(10)
  void aClientThatSendsNothingIsAnsweredAtTheBoundAndOthersAreStillServed() throws Exception {
    Path socket = dir.resolve("cni.sock");
    try (CniServer server =
        CniServer.start(socket, new CniHandler(null, null), Duration.ofMillis(300))) {
      long start = System.nanoTime();
      JsonNode silent = exchange(socket, null);
      long took = (System.nanoTime() - start) / 1_000_000;
      assertThat(silent.path("ok").asBoolean(true)).isFalse();
      assertThat(silent.path("msg").asText()).isEqualTo("no request within 300 ms");
      assertThat(took).isBetween(250L, 5_000L);

      JsonNode garbage = exchange(socket, "not json\n");
      assertThat(garbage.path("msg").asText()).isEqualTo("the request is not a JSON object");
      JsonNode unknown = exchange(socket, "{\"command\":\"FROB\"}\n");
      assertThat(unknown.path("msg").asText()).isEqualTo("unknown command \"FROB\"");
    }
    assertThat(Files.exists(socket)).isFalse();
  }
}
