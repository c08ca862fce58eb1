package dev.weft.cli.lab;

import java.io.BufferedReader;
import java.io.IOException;
import java.io.InputStreamReader;
import java.io.OutputStream;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicLong;

/**
 * The lab's end of one {@link PodProcess}: commands written to its stdin, answers matched to them
 * by id. Thread-safe.
 */
final class PodChannel implements AutoCloseable {
  /** Source ports handed to probes cycle through this range (outside the ephemeral one). */
  private static final int FIRST_PORT = 10000;

  private static final int PORTS = 22000;

  private final String name;
  private final Process process;
  private final OutputStream stdin;
  private final Map<String, CompletableFuture<String>> pending = new ConcurrentHashMap<>();
  private final CompletableFuture<Void> ready = new CompletableFuture<>();
  private final AtomicLong ids = new AtomicLong();
  private final AtomicInteger nextPort;

  PodChannel(String name, Process process) {
    this.name = name;
    this.process = process;
    this.stdin = process.getOutputStream();
    this.nextPort =
        new AtomicInteger(java.util.concurrent.ThreadLocalRandom.current().nextInt(PORTS));
    Thread reader = new Thread(this::read, "lab-pod-" + name);
    reader.setDaemon(true);
    reader.start();
  }

  String name() {
    return name;
  }

  boolean alive() {
    return process.isAlive();
  }

  long pid() {
    return process.pid();
  }

  /** Waits until the process listens on its initial ports. */
  boolean awaitReady(Duration timeout) throws InterruptedException {
    try {
      ready.get(timeout.toMillis(), TimeUnit.MILLISECONDS);
      return true;
    } catch (java.util.concurrent.ExecutionException | java.util.concurrent.TimeoutException e) {
      return false;
    }
  }

  /** A fresh source port: every probe its own, so no flow (nor its conntrack entry) is reused. */
  int sourcePort() {
    return FIRST_PORT + Math.floorMod(nextPort.getAndIncrement(), PORTS);
  }

  /** Makes the pod answer on {@code port}; completes with null, or the reason it cannot. */
  CompletableFuture<String> listen(int port, String protocol) {
    return send("listen", port + " " + protocol, Duration.ofSeconds(10))
        .thenApply(r -> r.equals("ok") ? null : r);
  }

  /**
   * One connection (TCP) or datagram and its answer (UDP); completes with who answered, or null
   * when nothing did within {@code timeout}.
   */
  CompletableFuture<String> probe(
      String protocol, String address, int port, int sourcePort, Duration timeout, String from) {
    String args =
        address
            + " "
            + port
            + " "
            + sourcePort
            + " "
            + timeout.toMillis()
            + (from == null ? "" : " " + from);
    return send(protocol.toLowerCase(java.util.Locale.ROOT), args, timeout.plusSeconds(5))
        .thenApply(r -> r.startsWith("ok ") ? r.substring(3).trim() : null);
  }

  private CompletableFuture<String> send(String command, String args, Duration bound) {
    String id = Long.toString(ids.incrementAndGet());
    CompletableFuture<String> f = new CompletableFuture<>();
    pending.put(id, f);
    try {
      synchronized (stdin) {
        stdin.write((command + " " + id + " " + args + "\n").getBytes(StandardCharsets.UTF_8));
        stdin.flush();
      }
    } catch (IOException e) {
      pending.remove(id);
      return CompletableFuture.completedFuture("fail pod process " + name + " is gone: " + e);
    }
    return f.completeOnTimeout(
            "fail no answer from the pod process", bound.toMillis(), TimeUnit.MILLISECONDS)
        .whenComplete((r, e) -> pending.remove(id));
  }

  private void read() {
    try (BufferedReader r =
        new BufferedReader(
            new InputStreamReader(process.getInputStream(), StandardCharsets.UTF_8))) {
      for (String line = r.readLine(); line != null; line = r.readLine()) {
        if (line.equals("ready")) {
          ready.complete(null);
          continue;
        }
        int space = line.indexOf(' ');
        if (space > 0) {
          CompletableFuture<String> f = pending.get(line.substring(0, space));
          if (f != null) {
            f.complete(line.substring(space + 1));
          }
        }
      }
    } catch (IOException e) {
      // the process is gone
    }
    pending.values().forEach(f -> f.complete("fail pod process " + name + " exited"));
    ready.completeExceptionally(new IOException("pod process " + name + " exited"));
  }

  /** Closes its stdin (it exits on that), then stops it if it has not. */
  @Override
  public void close() {
    try {
      stdin.close();
    } catch (IOException e) {
      // already gone
    }
    Children.stop(process, Duration.ofSeconds(2));
  }
}
