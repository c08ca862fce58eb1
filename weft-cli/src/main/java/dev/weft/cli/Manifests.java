package dev.weft.cli;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.MappingIterator;
import com.fasterxml.jackson.dataformat.yaml.YAMLMapper;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.stream.Stream;

/** Reads multi-document YAML (or JSON) manifests from a file or a folder. */
final class Manifests {
  private static final YAMLMapper YAML = new YAMLMapper();

  /** One parsed document and where it came from, for error messages. */
  record Document(JsonNode body, String source) {
    boolean isWeft() {
      return body.path("apiVersion").asText().startsWith("weft/");
    }

    String kind() {
      return body.path("kind").asText();
    }

    String name() {
      return body.path("metadata").path("name").asText();
    }
  }

  private Manifests() {}

  /** Every document in {@code path}: a file, or the .yaml/.yml/.json files of a folder in order. */
  static List<Document> read(Path path) throws IOException {
    List<Document> out = new ArrayList<>();
    if (Files.isDirectory(path)) {
      List<Path> files;
      try (Stream<Path> s = Files.walk(path)) {
        files =
            s.filter(Files::isRegularFile)
                .filter(
                    p -> {
                      String n = p.getFileName().toString();
                      return n.endsWith(".yaml") || n.endsWith(".yml") || n.endsWith(".json");
                    })
                .sorted()
                .toList();
      }
      for (Path f : files) {
        out.addAll(readFile(f));
      }
    } else if (Files.isRegularFile(path)) {
      out.addAll(readFile(path));
    } else {
      throw new IOException("no such file or folder: " + path);
    }
    return out;
  }

  private static List<Document> readFile(Path file) throws IOException {
    List<Document> out = new ArrayList<>();
    int index = 0;
    try (MappingIterator<JsonNode> it = YAML.readerFor(JsonNode.class).readValues(file.toFile())) {
      while (it.hasNextValue()) {
        JsonNode doc = it.nextValue();
        index++;
        if (doc == null || doc.isNull() || doc.isEmpty()) {
          continue;
        }
        String source = file + " (document " + index + ")";
        if (doc.path("kind").asText().endsWith("List") && doc.has("items")) {
          for (JsonNode item : doc.get("items")) {
            out.add(new Document(item, source));
          }
          continue;
        }
        if (!doc.isObject() || !doc.hasNonNull("kind") || !doc.hasNonNull("apiVersion")) {
          throw new IOException(source + ": every document needs apiVersion and kind");
        }
        out.add(new Document(doc, source));
      }
    } catch (com.fasterxml.jackson.core.JsonProcessingException e) {
      throw new IOException(file + ": not valid YAML: " + e.getOriginalMessage(), e);
    }
    return out;
  }
}
