package dev.weft.cli;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.SerializationFeature;
import java.io.PrintStream;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;

/** {@code weft trace SRC DST --port 80/TCP}: one packet's path and every decision on it. */
@Command(
    name = "trace",
    description =
        "The path one packet takes from pod SRC to pod DST (NAMESPACE/NAME, or an address for DST)"
            + " and every decision on it: VRF, route, ECMP choice, NAT, each policy rule, verdict;"
            + " and its reply.")
final class TraceCommand implements Callable<Integer> {
  private static final ObjectMapper JSON =
      new ObjectMapper().enable(SerializationFeature.INDENT_OUTPUT);

  @Parameters(index = "0", description = "Source pod: NAMESPACE/NAME (NAME: namespace default)")
  String source;

  @Parameters(index = "1", description = "Destination pod NAMESPACE/NAME, or an IP address")
  String destination;

  @Option(
      names = "--port",
      description = "PORT/PROTO such as 80/TCP (default: the destination's first container port)")
  String port;

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

  @Mixin ServerOption server;

  @Override
  public Integer call() throws Exception {
    if (!output.equals("text") && !output.equals("json")) {
      throw new IllegalArgumentException("-o " + output + ": expected text or json");
    }
    String query =
        "/trace?source="
            + ServerClient.encode(source)
            + "&destination="
            + ServerClient.encode(destination)
            + (port == null ? "" : "&port=" + ServerClient.encode(port))
            + "&timeout="
            + timeout;
    JsonNode t = server.client().get(query);
    if (output.equals("json")) {
      System.out.println(JSON.writeValueAsString(t));
    } else {
      print(t, System.out);
    }
    if (!t.path("convergence").path("converged").asBoolean(true)) {
      System.err.println(
          "weft trace: gave up waiting for convergence ("
              + t.path("convergence").path("held").asText()
              + "); the trace shows the state compiled so far");
      return ProbeCommand.NOT_CONVERGED;
    }
    return 0;
  }

  static void print(JsonNode t, PrintStream out) {
    out.println(
        "trace "
            + t.path("source").asText()
            + " -> "
            + t.path("destination").asText()
            + " port "
            + t.path("port").asText());
    out.println("packet: " + t.path("packet").asText());
    steps(t, out);
    out.println(
        "verdict: " + t.path("verdict").asText().toUpperCase() + ": " + t.path("reason").asText());
    JsonNode reply = t.path("reply");
    if (!reply.isMissingNode()) {
      out.println();
      out.println("reply: " + reply.path("packet").asText());
      steps(reply, out);
      out.println(
          "verdict: "
              + reply.path("verdict").asText().toUpperCase()
              + ": "
              + reply.path("reason").asText());
    }
  }

  private static void steps(JsonNode t, PrintStream out) {
    for (JsonNode s : t.path("steps")) {
      out.printf("  %-10s %s%n", s.path("stage").asText(), s.path("detail").asText());
    }
  }
}
