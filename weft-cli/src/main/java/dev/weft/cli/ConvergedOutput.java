package dev.weft.cli;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.SerializationFeature;
import java.io.PrintStream;
import java.util.function.BiConsumer;
import picocli.CommandLine.Option;

/**
 * What {@code probe} and {@code trace} share: {@code -o text|json}, {@code --timeout} for the
 * convergence wait, and exit status {@link #NOT_CONVERGED} (after printing) when the server gave up
 * waiting.
 */
final class ConvergedOutput {
  static final int NOT_CONVERGED = 3;
  private static final ObjectMapper JSON =
      new ObjectMapper().enable(SerializationFeature.INDENT_OUTPUT);

  @Option(
      names = {"-o", "--output"},
      defaultValue = "text",
      description = "text or json")
  String output;

  @Option(
      names = "--timeout",
      defaultValue = "60",
      description = "Seconds to wait for convergence (default ${DEFAULT-VALUE})")
  double timeout;

  void requireValid() {
    if (!output.equals("text") && !output.equals("json")) {
      throw new IllegalArgumentException("-o " + output + ": expected text or json");
    }
  }

  /** The query parameter for the wait. */
  String timeoutParameter() {
    return "timeout=" + timeout;
  }

  /**
   * Prints {@code body} as JSON or with {@code text}; returns the exit status from the server's
   * {@code convergence}, saying on stderr what held it when it gave up.
   */
  int print(
      String command,
      String what,
      JsonNode body,
      JsonNode convergence,
      BiConsumer<JsonNode, PrintStream> text)
      throws java.io.IOException {
    if (output.equals("json")) {
      System.out.println(JSON.writeValueAsString(body));
    } else {
      text.accept(body, System.out);
    }
    if (!convergence.path("converged").asBoolean(true)) {
      System.err.println(
          "weft "
              + command
              + ": gave up waiting for convergence after "
              + timeout
              + " s ("
              + convergence.path("held").asText()
              + "); the "
              + what
              + " shows the state compiled so far");
      return NOT_CONVERGED;
    }
    return 0;
  }
}
