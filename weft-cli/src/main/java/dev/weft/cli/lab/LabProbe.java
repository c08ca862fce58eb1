package dev.weft.cli.lab;

import dev.weft.api.config.ApiException;
import dev.weft.api.reach.RealProbe;
import dev.weft.control.CompiledView;
import dev.weft.control.Compiler;
import dev.weft.control.Endpoint;
import dev.weft.control.NextHop;
import dev.weft.dataplane.Packet;
import dev.weft.dataplane.Probe;
import dev.weft.model.Protocol;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.HashSet;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ConcurrentHashMap;
import java.util.function.Supplier;

/**
 * {@code weft probe --real}: every cell measured with real connections, from inside each source
 * pod's namespace (from the gateway's for {@code external}), by the pods' {@link PodProcess}es.
 *
 * <p>A pod cell is one connection (a second, on another source port, before calling it unreachable:
 * a lost first packet is not a verdict). A service cell goes to the cluster IP (from outside: each
 * floating IP and node port in turn) from varied source ports, because the kernel picks a backend
 * by a hash of the 5-tuple: {@code .} once every ready backend of that service port has answered,
 * {@code P} when only some did after {@value #SERVICE_ATTEMPTS} attempts, {@code X} when none did.
 * Every cell runs concurrently, each attempt bounded by {@link #ATTEMPT_TIMEOUT} (a dropped packet
 * gets no answer). Destinations are made to listen first on the ports asked (a backend on its
 * target port), so a cell says whether packets get through, as the model's does, not whether
 * something happened to listen there.
 */
final class LabProbe implements RealProbe {
  static final Duration ATTEMPT_TIMEOUT = Duration.ofMillis(1000);
  static final int SERVICE_ATTEMPTS = 32;
  private static final int BATCH = 16;

  /** Waits until the nodes have programmed a compiled revision; throws saying what is missing. */
  interface Programmed {
    void await(long compiledRevision, Duration timeout) throws InterruptedException;
  }

  private final Compiler compiler;
  private final LabSandboxes sandboxes;
  private final Supplier<PodChannel> gateway;
  private final Programmed programmed;
  private final String sctp;

  LabProbe(
      Compiler compiler,
      LabSandboxes sandboxes,
      Supplier<PodChannel> gateway,
      Programmed programmed,
      String sctp) {
    this.compiler = compiler;
    this.sandboxes = sandboxes;
    this.gateway = gateway;
    this.programmed = programmed;
    this.sctp = sctp;
  }

  @Override
  public String unsupported(Protocol protocol) {
    return switch (protocol) {
      case TCP, UDP -> null;
      case SCTP -> sctp;
      default -> protocol + " is not measured by the lab (TCP and UDP only)";
    };
  }

  /** What one cell sends: where, and who must answer. */
  private record Cell(
      PodChannel from,
      Protocol protocol,
      List<Target> targets,
      Set<String> expected,
      boolean service) {}

  private record Target(String address, int port) {}

  @Override
  public Probe.Matrix measure(
      boolean external,
      List<Probe.Source> sources,
      List<Probe.Destination> dests,
      long compiledRevision,
      Duration timeout)
      throws InterruptedException {
    long deadline = System.nanoTime() + timeout.toNanos();
    programmed.await(compiledRevision, timeout);
    List<Probe.Source> rows = external ? List.of(new Probe.Source("external", null)) : sources;
    // Every pod with an interface needs its sandbox, wired with the addresses compiled for it;
    // wait for the stand-in kubelet to get there.
    Map<String, List<String>> wanted =
        compiler.read(
            view -> {
              Map<String, List<String>> out = new HashMap<>();
              for (Probe.Source s : sources) {
                Endpoint e = s.interfaceUuid() == null ? null : view.endpoint(s.interfaceUuid());
                if (e != null && !e.addresses().isEmpty()) {
                  out.put(s.name(), e.addresses());
                }
              }
              return out;
            });
    Map<String, PodChannel> channels = new HashMap<>();
    List<String> missing = new ArrayList<>();
    while (true) {
      missing.clear();
      for (Map.Entry<String, List<String>> w : wanted.entrySet()) {
        PodChannel c = sandboxes.process(w.getKey(), w.getValue());
        if (c != null) {
          channels.put(w.getKey(), c);
        } else {
          missing.add(w.getKey());
        }
      }
      if (external) {
        PodChannel g = gateway.get();
        if (g == null) {
          missing.add("the gateway");
        } else {
          channels.put("external", g);
        }
      }
      if (missing.isEmpty() || System.nanoTime() > deadline) {
        break;
      }
      Thread.sleep(100);
    }
    if (!missing.isEmpty()) {
      throw ApiException.unavailable(
          "the lab has no sandbox wired as Weft compiled it for "
              + missing
              + " yet (their Kubernetes events say why)");
    }
    // The plan, from one compiled view.
    Map<String, Set<String>> listens = new HashMap<>(); // pod -> PORT/PROTO it must answer on
    Cell[][] plan =
        compiler.read(
            view -> {
              Map<java.util.UUID, List<String>> exported =
                  external ? Probe.exportedAddresses(view) : Map.of();
              Cell[][] cells = new Cell[rows.size()][dests.size()];
              for (int i = 0; i < rows.size(); i++) {
                Probe.Source s = rows.get(i);
                PodChannel from = channels.get(s.name());
                Endpoint src =
                    external || s.interfaceUuid() == null ? null : view.endpoint(s.interfaceUuid());
                for (int j = 0; j < dests.size(); j++) {
                  cells[i][j] = plan(view, external, from, src, dests.get(j), exported, listens);
                }
              }
              return cells;
            });
    listen(listens, channels);
    List<CompletableFuture<Character>> futures = new ArrayList<>();
    for (Cell[] row : plan) {
      for (Cell c : row) {
        futures.add(c == null ? CompletableFuture.completedFuture(Probe.UNREACHABLE) : run(c));
      }
    }
    CompletableFuture.allOf(futures.toArray(CompletableFuture[]::new)).join();
    List<String> matrix = new ArrayList<>();
    int k = 0;
    for (int i = 0; i < rows.size(); i++) {
      StringBuilder row = new StringBuilder();
      for (int j = 0; j < dests.size(); j++) {
        row.append(futures.get(k++).join());
      }
      matrix.add(row.toString());
    }
    return new Probe.Matrix(
        rows.stream().map(Probe.Source::name).toList(),
        dests.stream()
            .map(d -> d.name() + ":" + d.port() + "/" + Probe.protocolName(d.protocol()))
            .toList(),
        matrix);
  }

  /** A cell's plan; null: nothing to send (no source, no address), so unreachable. */
  private static Cell plan(
      CompiledView view,
      boolean external,
      PodChannel from,
      Endpoint src,
      Probe.Destination d,
      Map<java.util.UUID, List<String>> exported,
      Map<String, Set<String>> listens) {
    if (from == null || (!external && src == null)) {
      return null;
    }
    String proto = d.protocol().name();
    if (d.service() != null || (d.address() != null && d.interfaceUuid() == null)) {
      NextHop.Service hop = d.service() == null ? null : view.service(d.service());
      List<NextHop.Interface> backends =
          hop == null ? List.of() : hop.backends(d.protocol(), d.port());
      if (backends == null) {
        backends = List.of();
      }
      Set<String> expected = new LinkedHashSet<>();
      for (NextHop.Interface b : backends) {
        Endpoint e = view.endpoint(b.interfaceUuid());
        if (e != null && !e.pod().isEmpty()) {
          String name = e.namespace() + "/" + e.pod();
          expected.add(name);
          int port = b.translatePort() > 0 ? b.translatePort() : d.port();
          listens.computeIfAbsent(name, x -> new LinkedHashSet<>()).add(port + " " + proto);
        }
      }
      List<Target> targets = new ArrayList<>();
      if (external) {
        if (hop != null) {
          for (Probe.Way w : Probe.externalWays(view, hop, d.protocol(), d.port())) {
            targets.add(new Target(w.address(), w.port()));
          }
        }
      } else {
        Packet p = Probe.packetTo(src, d.address(), d.protocol(), d.port(), 0);
        if (p != null) {
          targets.add(new Target(d.address(), d.port()));
        }
      }
      if (targets.isEmpty() || expected.isEmpty()) {
        return null;
      }
      return new Cell(from, d.protocol(), targets, expected, true);
    }
    if (d.interfaceUuid() == null) {
      return null;
    }
    Endpoint dst = view.endpoint(d.interfaceUuid());
    if (dst == null || dst.pod().isEmpty()) {
      return null;
    }
    String name = dst.namespace() + "/" + dst.pod();
    listens.computeIfAbsent(name, x -> new LinkedHashSet<>()).add(d.port() + " " + proto);
    List<Target> targets = new ArrayList<>();
    if (external) {
      for (String a : exported.getOrDefault(d.interfaceUuid(), List.of())) {
        targets.add(new Target(a, d.port()));
      }
    } else {
      Packet p = Probe.packet(src, dst, d.protocol(), d.port(), 0);
      if (p != null) {
        targets.add(new Target(p.destination(), d.port()));
      }
    }
    return targets.isEmpty() ? null : new Cell(from, d.protocol(), targets, Set.of(name), false);
  }

  /** Makes every destination answer on the ports its cells need. */
  private void listen(Map<String, Set<String>> listens, Map<String, PodChannel> channels) {
    List<CompletableFuture<String>> all = new ArrayList<>();
    for (Map.Entry<String, Set<String>> e : listens.entrySet()) {
      PodChannel c = channels.get(e.getKey());
      if (c == null) {
        continue; // no sandbox: nothing answers there, the cells say so
      }
      for (String pp : e.getValue()) {
        String[] f = pp.split(" ");
        all.add(c.listen(Integer.parseInt(f[0]), f[1]));
      }
    }
    CompletableFuture.allOf(all.toArray(CompletableFuture[]::new)).join();
  }

  private CompletableFuture<Character> run(Cell c) {
    if (!c.service()) {
      Target t = c.targets().get(0);
      return attempt(c, t)
          .thenCompose(
              who ->
                  who != null && c.expected().contains(who)
                      ? CompletableFuture.completedFuture(Probe.REACHABLE)
                      : attemptAll(c)
                          .thenApply(
                              w ->
                                  w.containsAll(c.expected())
                                      ? Probe.REACHABLE
                                      : Probe.UNREACHABLE));
    }
    Set<String> answered = ConcurrentHashMap.newKeySet();
    return batches(c, answered, 0)
        .thenApply(
            x -> {
              Set<String> reached = new HashSet<>(answered);
              reached.retainAll(c.expected());
              return reached.size() == c.expected().size()
                  ? Probe.REACHABLE
                  : reached.isEmpty() ? Probe.UNREACHABLE : Probe.PARTIAL;
            });
  }

  /** One attempt on each target (pods reached through several addresses, from outside). */
  private CompletableFuture<Set<String>> attemptAll(Cell c) {
    Set<String> who = ConcurrentHashMap.newKeySet();
    List<CompletableFuture<Void>> all = new ArrayList<>();
    for (Target t : c.targets()) {
      all.add(
          attempt(c, t)
              .thenAccept(
                  w -> {
                    if (w != null) {
                      who.add(w);
                    }
                  }));
    }
    return CompletableFuture.allOf(all.toArray(CompletableFuture[]::new)).thenApply(x -> who);
  }

  /** Batches of attempts over the targets in turn until every backend answered or all are spent. */
  private CompletableFuture<Void> batches(Cell c, Set<String> answered, int done) {
    if (done >= SERVICE_ATTEMPTS || answered.containsAll(c.expected())) {
      return CompletableFuture.completedFuture(null);
    }
    List<CompletableFuture<Void>> batch = new ArrayList<>();
    for (int k = 0; k < BATCH; k++) {
      Target t = c.targets().get((done + k) % c.targets().size());
      batch.add(
          attempt(c, t)
              .thenAccept(
                  w -> {
                    if (w != null) {
                      answered.add(w);
                    }
                  }));
    }
    return CompletableFuture.allOf(batch.toArray(CompletableFuture[]::new))
        .thenCompose(x -> batches(c, answered, done + BATCH));
  }

  private CompletableFuture<String> attempt(Cell c, Target t) {
    return c.from()
        .probe(
            c.protocol().name(),
            t.address(),
            t.port(),
            c.from().sourcePort(),
            ATTEMPT_TIMEOUT,
            null);
  }
}
