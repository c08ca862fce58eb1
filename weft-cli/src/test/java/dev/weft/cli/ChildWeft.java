package dev.weft.cli;

import java.io.BufferedReader;
import java.io.IOException;
import java.io.InputStreamReader;
import java.io.PrintWriter;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;
import java.util.function.Predicate;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * A {@code weft} command running in a JVM of its own (the test's classpath), for tests that kill
 * processes: its output goes to a log file and is watched line by line, and {@link #kill()} is a
 * SIGKILL, as {@code kill -9} would be.
 */
final class ChildWeft implements AutoCloseable {
  private final String name;
  private final Process process;
  private final Path log;
  private final List<String> lines = new ArrayList<>();
  private final Thread reader;

  private ChildWeft(String name, Process process, Path log) {
    this.name = name;
    this.process = process;
    this.log = log;
    this.reader = new Thread(this::pump, "child-output " + name);
    reader.setDaemon(true);
    reader.start();
  }

  /** Starts {@code weft ARGS...} in a new JVM; its output is appended to {@code log}. */
  static ChildWeft start(String name, Path log, List<String> args) {
    List<String> cmd = new ArrayList<>();
    cmd.add(Path.of(System.getProperty("java.home"), "bin", "java").toString());
    // Short-lived and many: quick start and a small footprint matter more than peak speed.
    cmd.addAll(
        List.of(
            "-XX:TieredStopAtLevel=1",
            "-XX:+UseSerialGC",
            "-Xmx384m",
            "-Xss512k",
            "-cp",
            classpath(),
            Main.class.getName()));
    cmd.addAll(args);
    try {
      Files.createDirectories(log.getParent());
      Process p = new ProcessBuilder(cmd).redirectErrorStream(true).start();
      return new ChildWeft(name, p, log);
    } catch (IOException e) {
      throw new UncheckedIOException("cannot start " + name, e);
    }
  }

  /** The test's classpath (under Surefire, the booter jar whose manifest lists it). */
  private static String classpath() {
    String cp = System.getProperty("surefire.test.class.path");
    return cp != null && !cp.isBlank() ? cp : System.getProperty("java.class.path");
  }

  private void pump() {
    try (BufferedReader in =
            new BufferedReader(
                new InputStreamReader(process.getInputStream(), StandardCharsets.UTF_8));
        PrintWriter out =
            new PrintWriter(
                Files.newBufferedWriter(
                    log,
                    StandardCharsets.UTF_8,
                    StandardOpenOption.CREATE,
                    StandardOpenOption.APPEND))) {
      out.println("=== " + name + " (pid " + process.pid() + ")");
      String line;
      while ((line = in.readLine()) != null) {
        out.println(line);
        out.flush();
        synchronized (lines) {
          lines.add(line);
          lines.notifyAll();
        }
      }
    } catch (IOException e) {
      // The process died; its output ends here.
    } finally {
      synchronized (lines) {
        lines.notifyAll();
      }
    }
  }

  long pid() {
    return process.pid();
  }

  boolean alive() {
    return process.isAlive();
  }

  /**
   * Waits until a line of output matches {@code pattern} and returns the match, or null when the
   * process ended or the timeout passed first.
   */
  Matcher await(Pattern pattern, Duration timeout) throws InterruptedException {
    long deadline = System.nanoTime() + timeout.toNanos();
    int seen = 0;
    synchronized (lines) {
      while (true) {
        for (; seen < lines.size(); seen++) {
          Matcher m = pattern.matcher(lines.get(seen));
          if (m.find()) {
            return m;
          }
        }
        long left = deadline - System.nanoTime();
        if (left <= 0 || (!process.isAlive() && !reader.isAlive())) {
          return null;
        }
        TimeUnit.NANOSECONDS.timedWait(lines, Math.min(left, TimeUnit.MILLISECONDS.toNanos(200)));
      }
    }
  }

  /** Whether any line so far matches. */
  boolean saw(Predicate<String> line) {
    synchronized (lines) {
      return lines.stream().anyMatch(line);
    }
  }

  /** SIGKILL: no shutdown hook runs, nothing is released or flushed. */
  void kill() throws InterruptedException {
    process.destroyForcibly();
    process.waitFor(30, TimeUnit.SECONDS);
  }

  /** SIGTERM: the shutdown hooks run (Ctrl-C). */
  void stop() throws InterruptedException {
    process.destroy();
    if (!process.waitFor(60, TimeUnit.SECONDS)) {
      kill();
    }
  }

  @Override
  public void close() throws InterruptedException {
    if (process.isAlive()) {
      kill();
    }
  }

  @Override
  public String toString() {
    return name + " (pid " + process.pid() + ", log " + log + ")";
  }
}
