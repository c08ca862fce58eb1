package dev.weft.agent;

import java.util.List;

/**
 * A command the dataplane ran failed: it exited non-zero, could not start, or timed out. The
 * message names the command line, the exit status and the command's own explanation (its stderr),
 * and for a batch fed on stdin, the input lines the tool reported as failing.
 */
public final class CommandFailedException extends RuntimeException {
  private static final long serialVersionUID = 1L;

  private final transient Shell.Result result;

  public CommandFailedException(Shell.Result result) {
    super(describe(result));
    this.result = result;
  }

  public CommandFailedException(List<String> argv, String why, Throwable cause) {
    super("command `" + String.join(" ", argv) + "` " + why, cause);
    this.result = null;
  }

  /** The failed command's result; null when it never ran to completion. */
  public Shell.Result result() {
    return result;
  }

  private static String describe(Shell.Result r) {
    StringBuilder sb =
        new StringBuilder("command `")
            .append(String.join(" ", r.argv()))
            .append("` exited with status ")
            .append(r.exitCode());
    String err = r.stderr().strip();
    sb.append(err.isEmpty() ? " and printed nothing on stderr" : ": " + err);
    List<String> failing = BatchErrors.failingLines(r);
    if (!failing.isEmpty()) {
      sb.append("\nfailing input line(s):");
      for (String line : failing) {
        sb.append("\n  ").append(line);
      }
    }
    return sb.toString();
  }
}
