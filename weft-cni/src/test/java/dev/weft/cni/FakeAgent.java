package dev.weft.cni;

import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.net.StandardProtocolFamily;
import java.net.UnixDomainSocketAddress;
import java.nio.ByteBuffer;
import java.nio.channels.ServerSocketChannel;
import java.nio.channels.SocketChannel;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.CountDownLatch;
import java.util.function.Function;

/**
 * A stand-in for the node agent's CNI socket (PROTOCOL.md): reads one request line per connection,
 * records it, and answers with whatever the responder returns (a JSON line, or null to hang until
 * closed). Each connection is served on its own thread.
 */
public final class FakeAgent implements AutoCloseable {
  /** An ADD answer with one v4 and one v6 address, as the agent sends it (CNI 1.0). */
  public static final String ADD_RESULT =
      "{\"ok\":true,\"result\":{\"cniVersion\":\"1.0.0\",\"interfaces\":[{\"name\":\"weftabc\","
          + "\"mac\":\"ee:ee:ee:ee:ee:ee\"},{\"name\":\"eth0\",\"mac\":\"02:00:0a:20:00:05\","
          + "\"sandbox\":\"/var/run/netns/x\",\"mtu\":1450}],\"ips\":[{\"address\":\"10.32.0.5/32\","
          + "\"gateway\":\"169.254.1.1\",\"interface\":1},{\"address\":\"fd00::5/128\","
          + "\"gateway\":\"fe80::1\",\"interface\":1}],\"routes\":[{\"dst\":\"0.0.0.0/0\","
          + "\"gw\":\"169.254.1.1\"},{\"dst\":\"::/0\",\"gw\":\"fe80::1\"}],\"dns\":{}}}";

  private final Path socket;
  private final ServerSocketChannel server;
  private final Function<Map<String, Object>, String> responder;
  private final List<Map<String, Object>> requests = new CopyOnWriteArrayList<>();
  private final CountDownLatch closed = new CountDownLatch(1);

  private FakeAgent(Path socket, Function<Map<String, Object>, String> responder)
      throws IOException {
    this.socket = socket;
    this.responder = responder;
    this.server = ServerSocketChannel.open(StandardProtocolFamily.UNIX);
    server.bind(UnixDomainSocketAddress.of(socket), 256);
    Thread acceptor = new Thread(this::acceptLoop, "fake-agent-accept");
    acceptor.setDaemon(true);
    acceptor.start();
  }

  /** Listens on {@code socket} answering with {@code responder}. */
  public static FakeAgent start(Path socket, Function<Map<String, Object>, String> responder)
      throws IOException {
    return new FakeAgent(socket, responder);
  }

  /** Answers ADD with {@link #ADD_RESULT} and everything else with {@code {"ok":true}}. */
  public static FakeAgent healthy(Path socket) throws IOException {
    return start(
        socket, request -> "ADD".equals(request.get("command")) ? ADD_RESULT : "{\"ok\":true}");
  }

  /** The requests received so far, in arrival order. */
  public List<Map<String, Object>> requests() {
    return requests;
  }

  public Path socket() {
    return socket;
  }

  private void acceptLoop() {
    while (server.isOpen()) {
      try {
        SocketChannel client = server.accept();
        Thread worker = new Thread(() -> serve(client), "fake-agent-conn");
        worker.setDaemon(true);
        worker.start();
      } catch (IOException e) {
        return;
      }
    }
  }

  private void serve(SocketChannel client) {
    try (client) {
      ByteArrayOutputStream line = new ByteArrayOutputStream();
      ByteBuffer buf = ByteBuffer.allocate(8192);
      outer:
      while (client.read(buf.clear()) > 0) {
        for (int i = 0; i < buf.position(); i++) {
          if (buf.get(i) == '\n') {
            line.write(buf.array(), 0, i);
            break outer;
          }
        }
        line.write(buf.array(), 0, buf.position());
      }
      @SuppressWarnings("unchecked")
      Map<String, Object> request =
          (Map<String, Object>) Json.parse(line.toString(StandardCharsets.UTF_8));
      requests.add(request);
      String answer = responder.apply(request);
      if (answer == null) {
        closed.await();
        return;
      }
      client.write(ByteBuffer.wrap((answer + "\n").getBytes(StandardCharsets.UTF_8)));
    } catch (IOException | JsonException | InterruptedException e) {
      // A broken request only ends this connection, as in the real agent.
    }
  }

  @Override
  public void close() throws IOException {
    closed.countDown();
    server.close();
    Files.deleteIfExists(socket);
  }
}
