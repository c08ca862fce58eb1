package dev.weft.cni;

import java.io.ByteArrayInputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.StandardProtocolFamily;
import java.net.UnixDomainSocketAddress;
import java.nio.ByteBuffer;
import java.nio.channels.ServerSocketChannel;
import java.nio.channels.SocketChannel;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Map;

/**
 * The workload run once under {@code -XX:ArchiveClassesAtExit} (see {@link Installer}): VERSION,
 * ADDs answered by an in-process agent in both result shapes, and a decode error, so the archive
 * holds the classes a real call loads.
 */
final class Training {
  static final String FLAG = "--cds-training";

  private static final String RESULT =
      "{\"ok\":true,\"result\":{\"cniVersion\":\"1.0.0\",\"interfaces\":[{\"name\":\"weft1a2b3c\","
          + "\"mac\":\"ee:ee:ee:ee:ee:ee\"},{\"name\":\"eth0\",\"mac\":\"02:00:0a:20:00:05\","
          + "\"sandbox\":\"/var/run/netns/x\",\"mtu\":1450}],\"ips\":[{\"address\":\"10.32.0.5/32\","
          + "\"gateway\":\"169.254.1.1\",\"interface\":1},{\"address\":\"fd00::5/128\","
          + "\"gateway\":\"fe80::1\",\"interface\":1}],\"routes\":[{\"dst\":\"0.0.0.0/0\","
          + "\"gw\":\"169.254.1.1\"},{\"dst\":\"::/0\",\"gw\":\"fe80::1\"}],\"dns\":{}}}\n";

  private Training() {}

  static int run() {
    try {
      Path dir = Files.createTempDirectory("weft-cni-cds");
      Path socket = dir.resolve("agent.sock");
      try (ServerSocketChannel server = ServerSocketChannel.open(StandardProtocolFamily.UNIX)) {
        server.bind(UnixDomainSocketAddress.of(socket));
        Thread agent = new Thread(() -> serve(server), "weft-cni-cds-agent");
        agent.setDaemon(true);
        agent.start();
        OutputStream sink = OutputStream.nullOutputStream();
        Plugin.run(Map.of("CNI_COMMAND", "VERSION"), InputStream.nullInputStream(), sink, sink);
        for (String version : new String[] {"1.0.0", "0.4.0"}) {
          String conf =
              "{\"cniVersion\":\""
                  + version
                  + "\",\"name\":\"weft\",\"type\":\"weft-cni\",\"agentSocket\":\""
                  + socket
                  + "\"}";
          Plugin.run(
              Map.of(
                  "CNI_COMMAND", "ADD",
                  "CNI_CONTAINERID", "cds-training",
                  "CNI_NETNS", "/var/run/netns/cds-training",
                  "CNI_IFNAME", "eth0",
                  "CNI_PATH", "/opt/cni/bin",
                  "CNI_ARGS",
                      "IgnoreUnknown=1;K8S_POD_NAMESPACE=default;K8S_POD_NAME=a;K8S_POD_UID=u"),
              new ByteArrayInputStream(conf.getBytes(StandardCharsets.UTF_8)),
              sink,
              sink);
        }
        Plugin.run(
            Map.of("CNI_COMMAND", "ADD"),
            new ByteArrayInputStream("{\"cniVersion\":".getBytes(StandardCharsets.UTF_8)),
            sink,
            sink);
      } finally {
        Files.deleteIfExists(socket);
        Files.deleteIfExists(dir);
      }
      return 0;
    } catch (IOException e) {
      System.err.println("weft-cni: CDS training failed: " + e);
      return 1;
    }
  }

  private static void serve(ServerSocketChannel server) {
    ByteBuffer buf = ByteBuffer.allocate(64 * 1024);
    while (true) {
      try (SocketChannel client = server.accept()) {
        buf.clear();
        while (client.read(buf) > 0 && buf.get(buf.position() - 1) != '\n') {
          // read the whole request line before answering
        }
        client.write(ByteBuffer.wrap(RESULT.getBytes(StandardCharsets.UTF_8)));
      } catch (IOException e) {
        return;
      }
    }
  }
}
