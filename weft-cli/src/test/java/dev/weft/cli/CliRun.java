package dev.weft.cli;

import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;

/**
 * The {@code weft} command line run in this JVM ({@link Main#run}) with what it prints captured.
 * {@code System.out} and {@code System.err} are process-wide, so runs from every test take turns.
 */
final class CliRun {
  /** What one run did: its exit code and what it printed on each stream. */
  record Result(int code, String out, String err) {}

  private static final Object CONSOLE = new Object();

  private CliRun() {}

  static Result run(String... args) {
    ByteArrayOutputStream o = new ByteArrayOutputStream();
    ByteArrayOutputStream e = new ByteArrayOutputStream();
    synchronized (CONSOLE) {
      PrintStream out = System.out;
      PrintStream err = System.err;
      try {
        System.setOut(new PrintStream(o, true, StandardCharsets.UTF_8));
        System.setErr(new PrintStream(e, true, StandardCharsets.UTF_8));
        int code = Main.run(args);
        System.out.flush();
        System.err.flush();
        return new Result(
            code, o.toString(StandardCharsets.UTF_8), e.toString(StandardCharsets.UTF_8));
      } finally {
        System.setOut(out);
        System.setErr(err);
      }
    }
  }
}
