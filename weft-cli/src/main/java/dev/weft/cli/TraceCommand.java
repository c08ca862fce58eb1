package dev.weft.cli;

import com.fasterxml.jackson.databind.JsonNode;
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
  @Parameters(index = "0", description = "Source pod: NAMESPACE/NAME (NAME: namespace default)")
  String source;

  @Parameters(index = "1", description = "Destination pod NAMESPACE/NAME, or an IP address")
  String destination;

  @Option(
      names = "--port",
      description = "PORT/PROTO such as 80/TCP (default: the destination's first container port)")
  String port;

  @Mixin ConvergedOutput out;

  @Mixin ServerOption server;

  @Override
  public Integer call() throws Exception {
    out.requireValid();
    String query =
        "/trace?source="
            + ServerClient.encode(source)
            + "&destination="
            + ServerClient.encode(destination)
            + (port == null ? "" : "&port=" + ServerClient.encode(port))
            + "&"
            + out.timeoutParameter();
    JsonNode t = server.client().get(query);
    return out.print("trace", "trace", t, t.path("convergence"), TraceCommand::print);
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
