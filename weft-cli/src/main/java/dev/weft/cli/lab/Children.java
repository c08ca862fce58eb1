package dev.weft.cli.lab;

import java.io.File;
import java.io.IOException;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;

/** Child processes of the lab: JVMs of this same Weft, and how they are stopped. */
final class Children {
  private Children() {}

  /** The java launcher running this process. */
  static String java() {
    return ProcessHandle.current()
        .info()
        .command()
        .orElse(Path.of(System.getProperty("java.home"), "bin", "java").toString());
  }

  /** {@code java OPTIONS -cp THIS_CLASS_PATH MAIN ARGS}, run in {@code netns} unless null. */
  static List<String> javaCommand(
      String netns, List<String> options, String main, List<String> args) {
    List<String> argv = new ArrayList<>();
    if (netns != null) {
      argv.addAll(List.of("ip", "netns", "exec", netns));
    }
    argv.add(java());
    argv.addAll(options);
    argv.add("-cp");
    argv.add(System.getProperty("java.class.path"));
    argv.add(main);
    argv.addAll(args);
    return argv;
  }

  /** Starts {@code argv} with stdout and stderr appended to {@code log}. */
  static Process startLogged(List<String> argv, Path log) throws IOException {
    File f = log.toFile();
    return new ProcessBuilder(argv)
        .redirectErrorStream(true)
        .redirectOutput(ProcessBuilder.Redirect.appendTo(f))
        .start();
  }

  /**
   * SIGTERM to the process and its descendants; SIGKILL to whatever is left after {@code grace}.
   */
  static void stop(Process p, Duration grace) {
    stop(p.toHandle(), grace);
  }

  static void stop(ProcessHandle p, Duration grace) {
    List<ProcessHandle> all = new ArrayList<>(p.descendants().toList());
    all.add(p);
    all.forEach(ProcessHandle::destroy);
    long deadline = System.nanoTime() + grace.toNanos();
    for (ProcessHandle h : all) {
      try {
        long left = Math.max(0, deadline - System.nanoTime());
        h.onExit().get(left, TimeUnit.NANOSECONDS);
      } catch (Exception e) {
        h.destroyForcibly();
      }
    }
  }
}
