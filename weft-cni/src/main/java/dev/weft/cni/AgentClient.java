package dev.weft.cni;

import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.net.ConnectException;
import java.net.StandardProtocolFamily;
import java.net.UnixDomainSocketAddress;
import java.nio.ByteBuffer;
import java.nio.channels.SelectionKey;
import java.nio.channels.Selector;
import java.nio.channels.SocketChannel;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.Map;

/**
 * Sends one request to the agent's Unix socket and reads its one-line answer (PROTOCOL.md). Not
 * thread-safe; one instance per call.
 */
final class AgentClient {
  /** An answer bigger than this is not a CNI result; stop reading rather than grow forever. */
  private static final int MAX_RESPONSE_BYTES = 1 << 20;

  private final Path socket;
  private final Duration bound;

  AgentClient(Path socket, Duration bound) {
    this.socket = socket;
    this.bound = bound;
  }

  /**
   * Sends {@code request} and returns the agent's answer object.
   *
   * @throws AgentUnavailableException when nothing listens on the socket
   * @throws CniException code 11 when the agent does not answer within the bound, code 5 for other
   *     I/O failures or an answer that is not a JSON object
   */
  Map<String, Object> exchange(Map<String, Object> request)
      throws AgentUnavailableException, CniException {
    long deadline = System.nanoTime() + bound.toNanos();
    try (SocketChannel channel = connect(deadline)) {
      try (Selector selector = Selector.open()) {
        byte[] line = (Json.write(request) + "\n").getBytes(StandardCharsets.UTF_8);
        write(channel, selector, ByteBuffer.wrap(line), deadline);
        // Half-close: an agent that reads to end of stream rather than to "\n" still sees the end.
        channel.shutdownOutput();
        byte[] answer = read(channel, selector, deadline);
        return parse(answer);
      }
    } catch (IOException e) {
      throw new CniException(
          ErrorCodes.IO_FAILURE,
          "I/O failure talking to the weft agent",
          "socket " + socket + ": " + e);
    }
  }

  /**
   * A non-blocking channel connected to the agent, within the bound: an agent that stopped
   * accepting (its backlog full) makes the connect wait, and a blocking connect would wait forever.
   */
  private SocketChannel connect(long deadline)
      throws AgentUnavailableException, IOException, CniException {
    while (true) {
      if (!Files.exists(socket)) {
        throw new AgentUnavailableException(socket, "no such socket");
      }
      SocketChannel channel = SocketChannel.open(StandardProtocolFamily.UNIX);
      try {
        channel.configureBlocking(false);
        if (!channel.connect(UnixDomainSocketAddress.of(socket))) {
          try (Selector selector = Selector.open()) {
            channel.register(selector, SelectionKey.OP_CONNECT);
            while (!channel.finishConnect()) {
              await(selector, deadline, "accepted connection");
            }
          }
        }
        return channel;
      } catch (ConnectException e) {
        channel.close();
        throw new AgentUnavailableException(socket, "connection refused");
      } catch (IOException e) {
        channel.close(); // a failed connect leaves the channel unusable: a new one per attempt
        if (!Files.exists(socket)) {
          // The agent may have removed its socket between our check and the connect.
          throw new AgentUnavailableException(socket, "no such socket");
        }
        if (!String.valueOf(e.getMessage()).contains("temporarily unavailable")) {
          throw e;
        }
        // EAGAIN: the agent's accept queue is full. Try again until the bound.
        long left = deadline - System.nanoTime();
        if (left <= 0) {
          throw new CniException(
              ErrorCodes.TRY_AGAIN_LATER,
              "the weft agent did not answer in time",
              "socket "
                  + socket
                  + ": no accepted connection within "
                  + bound.toMillis()
                  + " ms (network config timeoutSeconds); the agent is not accepting connections"
                  + " (overloaded or stuck?); try again later");
        }
        try {
          Thread.sleep(Math.max(1, Math.min(20, left / 1_000_000)));
        } catch (InterruptedException ie) {
          Thread.currentThread().interrupt();
          throw new IOException("interrupted while connecting", ie);
        }
      } catch (CniException | RuntimeException e) {
        channel.close();
        throw e;
      }
    }
  }

  private void write(SocketChannel channel, Selector selector, ByteBuffer buf, long deadline)
      throws IOException, CniException {
    SelectionKey key = channel.register(selector, SelectionKey.OP_WRITE);
    while (buf.hasRemaining()) {
      if (channel.write(buf) == 0) {
        await(selector, deadline, "accept the request");
      }
    }
    key.interestOps(0);
  }

  private byte[] read(SocketChannel channel, Selector selector, long deadline)
      throws IOException, CniException {
    channel.keyFor(selector).interestOps(SelectionKey.OP_READ);
    ByteArrayOutputStream answer = new ByteArrayOutputStream(1024);
    ByteBuffer buf = ByteBuffer.allocate(8192);
    while (true) {
      buf.clear();
      int n = channel.read(buf);
      if (n < 0) {
        return answer.toByteArray();
      }
      if (n == 0) {
        await(selector, deadline, "answer");
        continue;
      }
      byte[] chunk = buf.array();
      for (int i = 0; i < n; i++) {
        if (chunk[i] == '\n') {
          answer.write(chunk, 0, i);
          return answer.toByteArray();
        }
      }
      answer.write(chunk, 0, n);
      if (answer.size() > MAX_RESPONSE_BYTES) {
        throw new CniException(
            ErrorCodes.IO_FAILURE,
            "invalid answer from the weft agent",
            "socket " + socket + ": answer longer than " + MAX_RESPONSE_BYTES + " bytes");
      }
    }
  }

  private void await(Selector selector, long deadline, String what)
      throws IOException, CniException {
    long left = deadline - System.nanoTime();
    // select(0) would block forever, hence the floor of one millisecond.
    if (left <= 0 || selector.select(Math.max(1, left / 1_000_000)) == 0) {
      if (System.nanoTime() - deadline >= 0) {
        throw new CniException(
            ErrorCodes.TRY_AGAIN_LATER,
            "the weft agent did not answer in time",
            "socket "
                + socket
                + ": no "
                + what
                + " within "
                + bound.toMillis()
                + " ms (network config timeoutSeconds); try again later");
      }
    }
    selector.selectedKeys().clear();
  }

  private Map<String, Object> parse(byte[] answer) throws CniException {
    String text = new String(answer, StandardCharsets.UTF_8);
    if (text.isBlank()) {
      throw new CniException(
          ErrorCodes.TRY_AGAIN_LATER,
          "the weft agent closed the connection without answering",
          "socket " + socket + ": empty answer; the agent may be restarting, try again later");
    }
    Object parsed;
    try {
      parsed = Json.parse(text);
    } catch (JsonException e) {
      throw new CniException(
          ErrorCodes.IO_FAILURE,
          "invalid answer from the weft agent",
          "socket " + socket + ": " + e.getMessage());
    }
    if (!(parsed instanceof Map<?, ?>)) {
      throw new CniException(
          ErrorCodes.IO_FAILURE,
          "invalid answer from the weft agent",
          "socket " + socket + ": expected a JSON object, found " + CallParser.kind(parsed));
    }
    @SuppressWarnings("unchecked")
    Map<String, Object> map = (Map<String, Object>) parsed;
    return map;
  }
}
