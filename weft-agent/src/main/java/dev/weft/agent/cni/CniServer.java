package dev.weft.agent.cni;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.weft.cni.ErrorCodes;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.net.StandardProtocolFamily;
import java.net.UnixDomainSocketAddress;
import java.nio.ByteBuffer;
import java.nio.channels.ClosedChannelException;
import java.nio.channels.SelectionKey;
import java.nio.channels.Selector;
import java.nio.channels.ServerSocketChannel;
import java.nio.channels.SocketChannel;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.time.Duration;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.atomic.AtomicInteger;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The agent's CNI endpoint: a Unix domain stream socket, one request per connection (one JSON
 * object and a newline in, one out, then close), served by {@link CniHandler}. The socket is made
 * mode 0600: the kubelet and the container runtime, which run the CNI, run as root.
 */
public final class CniServer implements AutoCloseable {
  private static final Logger LOG = LoggerFactory.getLogger(CniServer.class);
  private static final ObjectMapper JSON = new ObjectMapper();

  /** The largest request read: a network configuration is a few kilobytes. */
  static final int MAX_REQUEST = 1 << 20;

  /** How long a connection may take to send its request: the plugin sends it at once. */
  static final Duration READ_BOUND = Duration.ofSeconds(10);

  private final Path socket;
  private final ServerSocketChannel server;
  private final CniHandler handler;
  private final Duration readBound;
  private final ExecutorService workers;
  private final Thread acceptor;
  private volatile boolean closed;

  private CniServer(
      Path socket, ServerSocketChannel server, CniHandler handler, Duration readBound) {
    this.socket = socket;
    this.server = server;
    this.handler = handler;
    this.readBound = readBound;
    AtomicInteger n = new AtomicInteger();
    this.workers =
        Executors.newCachedThreadPool(
            r -> {
              Thread t = new Thread(r, "weft-cni-" + n.incrementAndGet());
              t.setDaemon(true);
              return t;
            });
    this.acceptor = new Thread(this::accept, "weft-cni-accept");
    acceptor.setDaemon(true);
  }

  /**
   * Listens on {@code socket}: creates its directory, removes a stale socket file (one nothing
   * answers on), and refuses to start when another agent serves it.
   *
   * @throws IOException saying which path and why
   */
  public static CniServer start(Path socket, CniHandler handler) throws IOException {
    return start(socket, handler, READ_BOUND);
  }

  /** As {@link #start(Path, CniHandler)}, a connection given {@code readBound} to send. */
  static CniServer start(Path socket, CniHandler handler, Duration readBound) throws IOException {
    Path abs = socket.toAbsolutePath();
    if (abs.getParent() != null) {
      Files.createDirectories(abs.getParent());
    }
    if (Files.isRegularFile(abs) || Files.isDirectory(abs)) {
      throw new IOException("--cni-socket " + abs + ": exists and is not a socket");
    }
    if (Files.exists(abs)) {
      boolean live;
      try (SocketChannel probe = SocketChannel.open(UnixDomainSocketAddress.of(abs))) {
        live = true;
      } catch (IOException e) {
        live = false;
      }
      if (live) {
        throw new IOException(
            "--cni-socket " + abs + ": another process (an agent still running?) serves it");
      }
      Files.delete(abs); // stale: left by an agent that was killed
    }
    ServerSocketChannel server = ServerSocketChannel.open(StandardProtocolFamily.UNIX);
    try {
      server.bind(UnixDomainSocketAddress.of(abs));
      Files.setPosixFilePermissions(abs, PosixFilePermissions.fromString("rw-------"));
    } catch (IOException e) {
      server.close();
      throw new IOException("--cni-socket " + abs + ": cannot listen: " + e.getMessage(), e);
    }
    CniServer s = new CniServer(abs, server, handler, readBound);
    s.acceptor.start();
    return s;
  }

  public Path socket() {
    return socket;
  }

  private void accept() {
    while (!closed) {
      SocketChannel c;
      try {
        c = server.accept();
      } catch (ClosedChannelException e) {
        return;
      } catch (IOException e) {
        if (!closed) {
          LOG.warn("CNI socket {}: accept failed", socket, e);
        }
        continue;
      }
      try {
        workers.execute(() -> serve(c));
      } catch (java.util.concurrent.RejectedExecutionException e) {
        closeQuietly(c);
      } catch (RuntimeException | OutOfMemoryError e) {
        // No thread for it now: the plugin gets its connection closed and kubelet tries again.
        // The acceptor goes on: an agent that stopped accepting would fail every later pod.
        LOG.error("CNI socket {}: could not serve a connection", socket, e);
        closeQuietly(c);
      }
    }
  }

  private void serve(SocketChannel c) {
    try (c) {
      ObjectNode response;
      byte[] request = readLine(c, System.nanoTime() + readBound.toNanos());
      if (request == TOO_SLOW) {
        response =
            CniHandler.error(
                ErrorCodes.DECODE_FAILURE,
                "no request within " + readBound.toMillis() + " ms",
                "a client sends one JSON object and a newline as soon as it connects"
                    + " (weft-cni/PROTOCOL.md)");
      } else if (request == null) {
        response =
            CniHandler.error(
                ErrorCodes.DECODE_FAILURE,
                "request too large",
                "a request is at most " + MAX_REQUEST + " bytes");
      } else {
        JsonNode parsed;
        try {
          parsed = JSON.readTree(request);
        } catch (IOException e) {
          parsed = null;
        }
        if (parsed == null || !parsed.isObject()) {
          response =
              CniHandler.error(
                  ErrorCodes.DECODE_FAILURE,
                  "the request is not a JSON object",
                  "expected one JSON object followed by a newline (weft-cni/PROTOCOL.md)");
        } else {
          response = handler.handle(parsed);
        }
      }
      byte[] out = (JSON.writeValueAsString(response) + "\n").getBytes(StandardCharsets.UTF_8);
      ByteBuffer buf = ByteBuffer.wrap(out);
      while (buf.hasRemaining()) {
        c.write(buf);
      }
    } catch (IOException e) {
      LOG.debug("CNI socket {}: a connection failed", socket, e);
    }
  }

  private static final byte[] TOO_SLOW = new byte[0];

  /**
   * The bytes up to the first newline or the end of input; null when longer than allowed, {@link
   * #TOO_SLOW} when not all there by {@code deadline} (a client that connects and sends nothing
   * must not hold a thread for ever). Leaves the channel blocking, for the answer.
   */
  private static byte[] readLine(SocketChannel c, long deadline) throws IOException {
    ByteArrayOutputStream out = new ByteArrayOutputStream();
    ByteBuffer buf = ByteBuffer.allocate(8192);
    c.configureBlocking(false);
    try (Selector selector = Selector.open()) {
      c.register(selector, SelectionKey.OP_READ);
      while (true) {
        buf.clear();
        int n = c.read(buf);
        if (n < 0) {
          return out.toByteArray();
        }
        if (n == 0) {
          long left = deadline - System.nanoTime();
          if (left <= 0) {
            return TOO_SLOW;
          }
          selector.select(Math.max(1, left / 1_000_000));
          selector.selectedKeys().clear();
          continue;
        }
        for (int i = 0; i < n; i++) {
          byte b = buf.get(i);
          if (b == '\n') {
            return out.toByteArray();
          }
          out.write(b);
        }
        if (out.size() > MAX_REQUEST) {
          return null;
        }
      }
    } finally {
      c.configureBlocking(true); // the selector is closed: the channel is no longer registered
    }
  }

  private static void closeQuietly(SocketChannel c) {
    try {
      c.close();
    } catch (IOException e) {
      // nothing to do
    }
  }

  /** Stops accepting and removes the socket file; requests being served finish. */
  @Override
  public void close() {
    closed = true;
    try {
      server.close();
    } catch (IOException e) {
      LOG.debug("CNI socket {}: close failed", socket, e);
    }
    workers.shutdown();
    try {
      Files.deleteIfExists(socket);
    } catch (IOException e) {
      LOG.warn("CNI socket {}: could not remove it", socket, e);
    }
  }
}
