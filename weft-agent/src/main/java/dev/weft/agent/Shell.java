package dev.weft.agent;

import java.time.Duration;
import java.util.List;

/**
 * Runs one external command to completion: the only way the Linux dataplane touches the kernel, so
 * that tests can substitute a fake and count what ran. Implementations are thread-safe.
 */
public interface Shell {
  /** The default bound on one command: programming a node never needs more. */
  Duration DEFAULT_TIMEOUT = Duration.ofSeconds(30);

  /**
   * Runs {@code argv} with {@code stdin} (null: none) and waits at most {@code timeout}.
   *
   * @return what it printed, whatever its exit status
   * @throws CommandFailedException when it cannot be started or does not finish in time; a non-zero
   *     exit status is reported in the result, not thrown (see {@link Result#check})
   */
  Result run(List<String> argv, String stdin, Duration timeout);

  /** {@link #run} with no input and the default timeout, throwing on a non-zero exit status. */
  default Result check(List<String> argv) {
    return run(argv, null, DEFAULT_TIMEOUT).check();
  }

  /**
   * {@link #run} with {@code stdin} and the default timeout, throwing on a non-zero exit status.
   */
  default Result check(List<String> argv, String stdin) {
    return run(argv, stdin, DEFAULT_TIMEOUT).check();
  }

  /** What one command did. */
  record Result(List<String> argv, String stdin, int exitCode, String stdout, String stderr) {
    public Result {
      argv = List.copyOf(argv);
      stdout = stdout == null ? "" : stdout;
      stderr = stderr == null ? "" : stderr;
    }

    public boolean ok() {
      return exitCode == 0;
    }

    /**
     * This result, if the command succeeded.
     *
     * @throws CommandFailedException naming the command, its status and what it printed on stderr
     */
    public Result check() {
      if (exitCode != 0) {
        throw new CommandFailedException(this);
      }
      return this;
    }
  }
}
