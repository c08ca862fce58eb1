package dev.weft.cli.lab;

import java.io.BufferedReader;
import java.io.IOException;
import java.io.InputStreamReader;
import java.io.OutputStream;
import java.io.PrintStream;
import java.net.DatagramPacket;
import java.net.DatagramSocket;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.PortUnreachableException;
import java.net.ServerSocket;
import java.net.Socket;
import java.net.SocketTimeoutException;
import java.nio.charset.StandardCharsets;
import java.util.HashSet;
import java.util.Set;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;

/**
 * The one process of a lab pod, started inside the pod's network namespace: it answers on its ports
 * (TCP and UDP) with the pod's {@code namespace/name}, so a probe knows which backend answered, and
 * runs the probes the lab sends it on stdin, from inside the namespace. One small JVM per pod
 * instead of a process per port and per connection. It exits when its stdin closes, so it never
 * outlives the {@code weft up} that started it.
 *
 * <p>Arguments: {@code NAME [PORT/PROTO]...}. Protocol on stdin, one command a line, each answered
 * by one line starting with its id (answers may come out of order):
 *
 * <ul>
 *   <li>{@code listen ID PORT TCP|UDP} → {@code ID ok} or {@code ID error WHY};
 *   <li>{@code tcp ID ADDRESS PORT SOURCE_PORT TIMEOUT_MS [SOURCE_ADDRESS]} and the same with
 *       {@code udp}: connect (TCP) or send a datagram and wait for the answer (UDP) → {@code ID ok
 *       WHO} (what the server answered) or {@code ID fail WHY}.
 * </ul>
 *
 * On start it prints {@code ready} once every port of its arguments listens.
 */
public final class PodProcess {
  private final String name;
  private final byte[] answer;
  private final PrintStream out;
  private final Set<String> listening = new HashSet<>();
  private final ExecutorService probes = Executors.newFixedThreadPool(128, PodProcess::daemon);

  private PodProcess(String name, PrintStream out) {
    this.name = name;
    this.answer = (name + "\n").getBytes(StandardCharsets.UTF_8);
    this.out = out;
  }

  public static void main(String[] args) throws IOException {
    if (args.length < 1) {
      System.err.println("usage: PodProcess NAME [PORT/PROTO]...");
      System.exit(2);
    }
    PrintStream out = new PrintStream(System.out, true, StandardCharsets.UTF_8);
    PodProcess p = new PodProcess(args[0], out);
    for (int i = 1; i < args.length; i++) {
      String[] pp = args[i].split("/");
      String error = p.listen(Integer.parseInt(pp[0]), pp.length > 1 ? pp[1] : "TCP");
      if (error != null) {
        System.err.println(p.name + ": " + args[i] + ": " + error);
      }
    }
    p.reply("ready");
    BufferedReader in =
        new BufferedReader(new InputStreamReader(System.in, StandardCharsets.UTF_8));
    for (String line = in.readLine(); line != null; line = in.readLine()) {
      p.command(line.trim());
    }
    // The lab is gone (or stopped us): so are we.
    System.exit(0);
  }

  private void command(String line) {
    String[] f = line.split(" ");
    if (f.length < 2) {
      return;
    }
    String id = f[1];
    try {
      switch (f[0]) {
        case "listen" -> {
          String error = listen(Integer.parseInt(f[2]), f[3]);
          reply(id + (error == null ? " ok" : " error " + error));
        }
        case "tcp", "udp" -> {
          String address = f[2];
          int port = Integer.parseInt(f[3]);
          int sourcePort = Integer.parseInt(f[4]);
          int timeout = Integer.parseInt(f[5]);
          String source = f.length > 6 ? f[6] : null;
          boolean tcp = f[0].equals("tcp");
          probes.execute(
              () -> {
                String r;
                try {
                  r =
                      "ok "
                          + (tcp
                              ? tcp(address, port, sourcePort, timeout, source)
                              : udp(address, port, sourcePort, timeout, source));
                } catch (IOException | RuntimeException e) {
                  r = "fail " + e.getClass().getSimpleName() + ": " + e.getMessage();
                }
                reply(id + " " + r.replace('\n', ' '));
              });
        }
        default -> reply(id + " error unknown command " + f[0]);
      }
    } catch (RuntimeException e) {
      reply(id + " error " + e);
    }
  }

  private void reply(String line) {
    synchronized (out) {
      out.println(line);
    }
  }

  /** Starts answering on {@code port}; null when it listens (already or now), else why not. */
  private synchronized String listen(int port, String protocol) {
    String key = port + "/" + protocol.toUpperCase(java.util.Locale.ROOT);
    if (listening.contains(key)) {
      return null;
    }
    try {
      switch (protocol.toUpperCase(java.util.Locale.ROOT)) {
        case "TCP" -> {
          ServerSocket server = new ServerSocket();
          server.setReuseAddress(true);
          server.bind(new InetSocketAddress(port), 128);
          daemon(() -> serveTcp(server)).start();
        }
        case "UDP" -> {
          DatagramSocket socket = new DatagramSocket(null);
          socket.setReuseAddress(true);
          socket.bind(new InetSocketAddress(port));
          daemon(() -> serveUdp(socket)).start();
        }
        default -> {
          return protocol + " is not served here (TCP and UDP only)";
        }
      }
    } catch (IOException e) {
      return e.toString();
    }
    listening.add(key);
    return null;
  }

  private void serveTcp(ServerSocket server) {
    while (true) {
      try (Socket s = server.accept()) {
        OutputStream o = s.getOutputStream();
        o.write(answer);
        o.flush();
        s.shutdownOutput();
      } catch (IOException e) {
        // one connection failed (the client gave up); serve the next
      }
    }
  }

  private void serveUdp(DatagramSocket socket) {
    byte[] buf = new byte[512];
    while (true) {
      try {
        DatagramPacket in = new DatagramPacket(buf, buf.length);
        socket.receive(in);
        socket.send(new DatagramPacket(answer, answer.length, in.getSocketAddress()));
      } catch (IOException e) {
        // one datagram could not be answered; serve the next
      }
    }
  }

  private static String tcp(String address, int port, int sourcePort, int timeout, String source)
      throws IOException {
    try (Socket s = new Socket()) {
      s.setReuseAddress(true);
      // No TIME_WAIT left behind: the next probe may reuse this source port soon.
      s.setSoLinger(true, 0);
      s.bind(new InetSocketAddress(bindAddress(source), sourcePort));
      long start = System.nanoTime();
      s.connect(new InetSocketAddress(InetAddress.getByName(address), port), timeout);
      int left = (int) Math.max(1, timeout - (System.nanoTime() - start) / 1_000_000);
      s.setSoTimeout(left);
      BufferedReader r =
          new BufferedReader(new InputStreamReader(s.getInputStream(), StandardCharsets.UTF_8));
      String line = r.readLine();
      if (line == null || line.isBlank()) {
        throw new IOException("connected, but the server closed without answering");
      }
      return line.trim();
    }
  }

  private static String udp(String address, int port, int sourcePort, int timeout, String source)
      throws IOException {
    try (DatagramSocket s = new DatagramSocket(null)) {
      s.setReuseAddress(true);
      s.bind(new InetSocketAddress(bindAddress(source), sourcePort));
      s.connect(new InetSocketAddress(InetAddress.getByName(address), port));
      s.setSoTimeout(timeout);
      byte[] ping = "probe\n".getBytes(StandardCharsets.UTF_8);
      s.send(new DatagramPacket(ping, ping.length));
      byte[] buf = new byte[512];
      DatagramPacket in = new DatagramPacket(buf, buf.length);
      try {
        s.receive(in);
      } catch (PortUnreachableException e) {
        throw new IOException("port unreachable");
      } catch (SocketTimeoutException e) {
        throw new IOException("no answer within " + timeout + " ms");
      }
      return new String(buf, 0, in.getLength(), StandardCharsets.UTF_8).trim();
    }
  }

  private static InetAddress bindAddress(String source) throws IOException {
    return source == null ? null : InetAddress.getByName(source);
  }

  private static Thread daemon(Runnable r) {
    Thread t = new Thread(r);
    t.setDaemon(true);
    return t;
  }
}
