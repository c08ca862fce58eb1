package dev.weft.cli;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import java.io.PrintStream;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;

/**
 * {@code weft probe}: the reachability matrix from the converged state, through the forwarding
 * model.
 */
@Command(
    name = "probe",
    description = {
      "Who can reach whom: every source pod x every destination pod and port, through Weft's"
          + " forwarding model, after waiting until every change made before the call is processed.",
      "Cells: '.' reachable, 'X' not reachable, 'P' (services) some backends reachable.",
      "Exit status 3 when Weft did not converge within --timeout (the matrix is printed anyway)."
    })
final class ProbeCommand implements Callable<Integer> {
  private static final ObjectMapper JSON = new ObjectMapper();

  @Option(names = "--from", defaultValue = "pods", description = "pods or external")
  String from;

  @Option(names = "--to", defaultValue = "pods", description = "pods or services")
  String to;

  @Option(
      names = "--port",
      description =
          "PORT/PROTO such as 80/TCP, 53/UDP (repeatable); default: each container port the"
              + " destination pod declares")
  List<String> ports = new ArrayList<>();

  @Option(
      names = "--real",
      description =
          "Measure with real connections from inside each source pod's network namespace (from"
              + " the gateway's for --from external); needs weft up --lab")
  boolean real;

  @Mixin ConvergedOutput out;

  @Mixin ServerOption server;

  @Override
  public Integer call() throws Exception {
    out.requireValid();
    if (!List.of("pods", "external").contains(from)) {
      throw new IllegalArgumentException("--from " + from + ": expected pods or external");
    }
    if (!List.of("pods", "services").contains(to)) {
      throw new IllegalArgumentException("--to " + to + ": expected pods or services");
    }
    StringBuilder query =
        new StringBuilder("/probe?from=")
            .append(ServerClient.encode(from))
            .append("&to=")
            .append(ServerClient.encode(to))
            .append("&")
            .append(out.timeoutParameter());
    for (String p : ports) {
      query.append("&port=").append(ServerClient.encode(p));
    }
    if (real) {
      query.append("&real=true");
    }
    JsonNode result = server.client().get(query.toString());
    if (result.path("excluded").size() > 0) {
      System.err.println(
          "weft probe --real: left out what the lab cannot measure: "
              + String.join(", ", texts(result.path("excluded"))));
    }
    ObjectNode contract = JSON.createObjectNode();
    contract.set("sources", result.path("sources"));
    contract.set("destinations", result.path("destinations"));
    contract.set("matrix", result.path("matrix"));
    return out.print(
        "probe", "matrix", contract, result.path("convergence"), ProbeCommand::printText);
  }

  private static List<String> texts(JsonNode array) {
    List<String> out = new ArrayList<>();
    array.forEach(n -> out.add(n.asText()));
    return out;
  }

  /** Destinations numbered in a legend, one row per source: wide matrices stay readable. */
  static void printText(JsonNode m, PrintStream out) {
    List<String> sources = new ArrayList<>();
    m.path("sources").forEach(s -> sources.add(s.asText()));
    List<String> dests = new ArrayList<>();
    m.path("destinations").forEach(d -> dests.add(d.asText()));
    if (sources.isEmpty() || dests.isEmpty()) {
      out.println(
          sources.isEmpty()
              ? "no source pods"
              : "no destinations (no --port given and no pod declares a container port)");
      return;
    }
    int width = String.valueOf(dests.size()).length();
    out.println("destinations:");
    for (int j = 0; j < dests.size(); j++) {
      out.printf("  %" + width + "d  %s%n", j + 1, dests.get(j));
    }
    int name = "source".length();
    for (String s : sources) {
      name = Math.max(name, s.length());
    }
    StringBuilder header = new StringBuilder(String.format("%-" + name + "s ", "source"));
    for (int j = 0; j < dests.size(); j++) {
      header.append(' ').append(String.format("%" + width + "d", j + 1));
    }
    out.println();
    out.println(header);
    for (int i = 0; i < sources.size(); i++) {
      String row = m.path("matrix").path(i).asText();
      StringBuilder line = new StringBuilder(String.format("%-" + name + "s ", sources.get(i)));
      for (int j = 0; j < row.length(); j++) {
        line.append(' ').append(String.format("%" + width + "s", row.charAt(j)));
      }
      out.println(line);
    }
    out.println();
    out.println(". reachable   X not reachable   P some backends reachable");
  }
}
