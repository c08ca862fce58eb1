package dev.weft.cli.lab;

import dev.weft.agent.Shell;
import dev.weft.agent.linux.LinuxGateway;
import dev.weft.control.Compiler;
import java.time.Duration;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The gateway router of the lab: its namespace on the underlay, programmed by {@link LinuxGateway}
 * from the compiled view whenever the compiled revision moves (and on a timer, which repairs what
 * changed under it).
 */
final class LabGateway implements AutoCloseable {
  private static final Logger log = LoggerFactory.getLogger(LabGateway.class);
  private static final Duration POLL = Duration.ofMillis(100);
  private static final Duration REPAIR = Duration.ofSeconds(5);

  private final LinuxGateway gateway;
  private final Compiler compiler;
  private final ScheduledExecutorService thread =
      Executors.newSingleThreadScheduledExecutor(
          r -> {
            Thread t = new Thread(r, "lab-gateway");
            t.setDaemon(true);
            return t;
          });
  private volatile long programmed = -1;
  private long lastFull;

  LabGateway(Shell shell, String netns, Compiler compiler) {
    this.gateway = new LinuxGateway("gateway", shell, netns);
    this.compiler = compiler;
  }

  /** The gateway's underlay address: the nodes' default route. */
  static String address() {
    return dev.weft.control.Gateway.ADDRESS4;
  }

  /**
   * The outside host's address, which {@link LinuxGateway} puts on the namespace's loopback and its
   * routes take as their source: where {@code --from external} connects from.
   */
  static String client() {
    return LinuxGateway.CLIENT;
  }

  static int prefixLength() {
    return dev.weft.control.Gateway.PREFIX_LENGTH4;
  }

  void start() {
    program();
    thread.scheduleWithFixedDelay(
        this::program, POLL.toMillis(), POLL.toMillis(), TimeUnit.MILLISECONDS);
  }

  /** The compiled revision last programmed. */
  long programmed() {
    return programmed;
  }

  private void program() {
    long revision = compiler.revision();
    long now = System.nanoTime();
    if (revision == programmed && now - lastFull < REPAIR.toNanos()) {
      return;
    }
    try {
      compiler.read(
          view -> {
            gateway.reconcile(view);
            return null;
          });
      programmed = revision;
      lastFull = now;
    } catch (RuntimeException e) {
      log.warn(
          "lab: gateway: programming compiled revision {} failed: {}", revision, e.getMessage());
    }
  }

  /** Waits until the gateway has programmed compiled revision {@code revision}. */
  boolean awaitProgrammed(long revision, Duration timeout) throws InterruptedException {
    long deadline = System.nanoTime() + timeout.toNanos();
    while (programmed < revision) {
      if (System.nanoTime() > deadline) {
        return false;
      }
      Thread.sleep(20);
    }
    return true;
  }

  @Override
  public void close() {
    thread.shutdownNow();
    try {
      thread.awaitTermination(10, TimeUnit.SECONDS);
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
    }
  }
}
