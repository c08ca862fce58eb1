package dev.weft.cli;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.SerializationFeature;
import com.fasterxml.jackson.databind.node.ObjectNode;
import java.util.ArrayList;
import java.util.List;

/**
 * The reachability matrix of {@code weft probe -o json}: {@code rows.get(i).charAt(j)} is whether
 * source {@code i} reaches destination {@code j} ({@code .} reachable, {@code X} not).
 */
record ProbeMatrix(List<String> sources, List<String> destinations, List<String> rows) {
  private static final ObjectMapper JSON =
      new ObjectMapper().enable(SerializationFeature.INDENT_OUTPUT);

  ProbeMatrix {
    sources = List.copyOf(sources);
    destinations = List.copyOf(destinations);
    rows = List.copyOf(rows);
  }

  /** Parses the probe's JSON, strictly: exactly the three fields of the CLI contract. */
  static ProbeMatrix parse(String json) {
    JsonNode node;
    try {
      node = JSON.readTree(json);
    } catch (JsonProcessingException e) {
      throw new IllegalArgumentException("not JSON: " + e.getOriginalMessage() + "\n" + json, e);
    }
    List<String> fields = new ArrayList<>();
    node.fieldNames().forEachRemaining(fields::add);
    if (!fields.equals(List.of("sources", "destinations", "matrix"))) {
      throw new IllegalArgumentException(
          "expected exactly the fields [sources, destinations, matrix] in that order, found "
              + fields
              + "\n"
              + json);
    }
    return new ProbeMatrix(
        strings(node.get("sources")),
        strings(node.get("destinations")),
        strings(node.get("matrix")));
  }

  private static List<String> strings(JsonNode array) {
    if (!array.isArray()) {
      throw new IllegalArgumentException("expected an array of strings, found " + array);
    }
    List<String> out = new ArrayList<>();
    array.forEach(
        n -> {
          if (!n.isTextual()) {
            throw new IllegalArgumentException("expected a string, found " + n);
          }
          out.add(n.asText());
        });
    return out;
  }

  char cell(int source, int destination) {
    return rows.get(source).charAt(destination);
  }

  /** The JSON the probe prints (one array element a line, so files diff well). */
  String toJson() {
    ObjectNode o = JSON.createObjectNode();
    sources.forEach(o.putArray("sources")::add);
    destinations.forEach(o.putArray("destinations")::add);
    rows.forEach(o.putArray("matrix")::add);
    try {
      return JSON.writeValueAsString(o) + "\n";
    } catch (JsonProcessingException e) {
      throw new IllegalStateException(e);
    }
  }

  /**
   * What differs from {@code expected}, for a person: missing or extra sources and destinations,
   * and every differing cell as {@code src -> dst: expected '.' got 'X'}. Empty when equal.
   */
  String differencesFrom(ProbeMatrix expected) {
    StringBuilder sb = new StringBuilder();
    listDifference(sb, "sources", expected.sources, sources);
    listDifference(sb, "destinations", expected.destinations, destinations);
    shapeProblems(sb, "expected", expected);
    shapeProblems(sb, "actual", this);
    if (sb.length() > 0) {
      return sb.toString();
    }
    List<String> cells = new ArrayList<>();
    for (int i = 0; i < sources.size(); i++) {
      for (int j = 0; j < destinations.size(); j++) {
        char want = expected.cell(i, j);
        char got = cell(i, j);
        if (want != got) {
          cells.add(
              "  "
                  + sources.get(i)
                  + " -> "
                  + destinations.get(j)
                  + ": expected '"
                  + want
                  + "' got '"
                  + got
                  + "'");
        }
      }
    }
    if (cells.isEmpty()) {
      return "";
    }
    sb.append(cells.size()).append(cells.size() == 1 ? " cell differs:\n" : " cells differ:\n");
    cells.forEach(c -> sb.append(c).append('\n'));
    sb.append("expected:\n").append(expected.table()).append("actual:\n").append(table());
    return sb.toString();
  }

  private static void listDifference(
      StringBuilder sb, String what, List<String> expected, List<String> actual) {
    if (expected.equals(actual)) {
      return;
    }
    List<String> missing = new ArrayList<>(expected);
    missing.removeAll(actual);
    List<String> extra = new ArrayList<>(actual);
    extra.removeAll(expected);
    sb.append(what).append(" differ:");
    if (!missing.isEmpty()) {
      sb.append(" missing ").append(missing);
    }
    if (!extra.isEmpty()) {
      sb.append(" unexpected ").append(extra);
    }
    if (missing.isEmpty() && extra.isEmpty()) {
      sb.append(" same entries in another order");
    }
    sb.append("\n  expected ").append(expected).append("\n  actual   ").append(actual).append('\n');
  }

  private static void shapeProblems(StringBuilder sb, String which, ProbeMatrix m) {
    if (m.rows.size() != m.sources.size()) {
      sb.append(which)
          .append(": ")
          .append(m.rows.size())
          .append(" matrix rows for ")
          .append(m.sources.size())
          .append(" sources\n");
    }
    for (int i = 0; i < m.rows.size(); i++) {
      String row = m.rows.get(i);
      if (row.length() != m.destinations.size() || !row.matches("[.XP]*")) {
        sb.append(which)
            .append(": row ")
            .append(i)
            .append(" \"")
            .append(row)
            .append("\" is not one of . X P per destination (")
            .append(m.destinations.size())
            .append(")\n");
      }
    }
  }

  /** Rows labelled with their source; columns numbered, with a legend of destinations. */
  String table() {
    StringBuilder sb = new StringBuilder();
    for (int j = 0; j < destinations.size(); j++) {
      sb.append(String.format("  %2d  %s%n", j + 1, destinations.get(j)));
    }
    int width = 6;
    for (String s : sources) {
      width = Math.max(width, s.length());
    }
    StringBuilder header = new StringBuilder(String.format("  %-" + width + "s ", "source"));
    for (int j = 0; j < destinations.size(); j++) {
      header.append(String.format("%3d", j + 1));
    }
    sb.append(header).append('\n');
    for (int i = 0; i < sources.size(); i++) {
      StringBuilder line = new StringBuilder(String.format("  %-" + width + "s ", sources.get(i)));
      String row = i < rows.size() ? rows.get(i) : "";
      for (int j = 0; j < row.length(); j++) {
        line.append("  ").append(row.charAt(j));
      }
      sb.append(line).append('\n');
    }
    return sb.toString();
  }
}
