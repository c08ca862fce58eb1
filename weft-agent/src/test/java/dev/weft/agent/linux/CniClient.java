package dev.weft.agent.linux;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.net.UnixDomainSocketAddress;
import java.nio.ByteBuffer;
import java.nio.channels.SocketChannel;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;

/** For tests: the CNI's side of {@code weft-cni/PROTOCOL.md}, one request per connection. */
final class CniClient {
  static final ObjectMapper JSON = new ObjectMapper();

  private final Path socket;

  CniClient(Path socket) {
    this.socket = socket;
  }

  JsonNode call(JsonNode request) {
    try (SocketChannel c = SocketChannel.open(UnixDomainSocketAddress.of(socket))) {
      c.write(
          ByteBuffer.wrap(
              (JSON.writeValueAsString(request) + "\n").getBytes(StandardCharsets.UTF_8)));
      ByteArrayOutputStream out = new ByteArrayOutputStream();
      ByteBuffer buf = ByteBuffer.allocate(8192);
      while (c.read(buf) >= 0) {
        out.write(buf.array(), 0, buf.position());
        buf.clear();
      }
      return JSON.readTree(out.toString(StandardCharsets.UTF_8));
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
  }

  /** A request for {@code command} of container {@code containerId}, pod {@code ns/name}. */
  static ObjectNode request(
      String command,
      String containerId,
      String netns,
      String ns,
      String name,
      String uid,
      long timeoutMs) {
    ObjectNode r = JSON.createObjectNode();
    r.put("command", command);
    r.put("containerId", containerId);
    r.put("netns", netns);
    r.put("ifName", "eth0");
    ObjectNode args = r.putObject("args");
    args.put("K8S_POD_NAMESPACE", ns);
    args.put("K8S_POD_NAME", name);
    if (uid != null) {
      args.put("K8S_POD_UID", uid);
    }
    args.put("IgnoreUnknown", "1");
    r.set(
        "config",
        JSON.valueToTree(Map.of("cniVersion", "1.0.0", "name", "weft", "type", "weft-cni")));
    r.put("timeoutMs", timeoutMs);
    return r;
  }

  static ObjectNode gc(List<String> validContainers) {
    ObjectNode r = JSON.createObjectNode();
    r.put("command", "GC");
    ObjectNode config = r.putObject("config");
    config.put("cniVersion", "1.1.0");
    var list = config.putArray("cni.dev/valid-attachments");
    for (String c : validContainers) {
      list.addObject().put("containerID", c).put("ifname", "eth0");
    }
    return r;
  }
}
