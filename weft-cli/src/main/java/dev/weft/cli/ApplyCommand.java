package dev.weft.cli;

import com.fasterxml.jackson.databind.JsonNode;
import java.io.PrintStream;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import java.util.Locale;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;

/** {@code weft apply -f FILE|DIR}: create-or-replace every document. */
@Command(
    name = "apply",
    description = "Create or replace the objects of a manifest file or folder.")
final class ApplyCommand implements Callable<Integer> {
  @Option(
      names = {"-f", "--filename"},
      required = true,
      description = "Manifest file or folder")
  Path file;

  @Mixin ServerOption server;

  @Override
  public Integer call() throws Exception {
    return applyAll(server.client(), file, System.out, System.err) == 0 ? 0 : 1;
  }

  /** Namespaces first, then Weft's networks, policies and pools, then the rest, file order kept. */
  static int rank(Manifests.Document d) {
    if (!d.isWeft() && d.kind().equals("Namespace")) {
      return 0;
    }
    if (d.isWeft()) {
      return switch (d.kind()) {
        case "NetworkPolicy" -> 1;
        case "VirtualNetwork" -> 2;
        case "FloatingIpPool" -> 3;
        default -> 4;
      };
    }
    return 5;
  }

  /**
   * Applies every document; prints one line each; returns the number that failed. A Weft object
   * that names another one not there yet (404: a policy attached to a network created later in the
   * same folder, a network attaching a policy that comes later) is tried again after the others, as
   * long as a round makes progress; only then is its error reported.
   */
  static int applyAll(ServerClient client, Path path, PrintStream out, PrintStream err)
      throws java.io.IOException {
    List<Manifests.Document> docs = new ArrayList<>(Manifests.read(path));
    docs.sort(Comparator.comparingInt(ApplyCommand::rank));
    int failed = 0;
    while (!docs.isEmpty()) {
      List<Manifests.Document> deferred = new ArrayList<>();
      java.util.Map<Manifests.Document, ServerClient.ApiError> missing =
          new java.util.IdentityHashMap<>();
      for (Manifests.Document d : docs) {
        String label = label(d);
        try {
          JsonNode r = client.post(d.isWeft() ? "/apply" : "/k8s/apply", d.body());
          out.println(label + " " + r.path("result").asText("applied"));
        } catch (ServerClient.ApiError e) {
          if (d.isWeft() && e.status == 404) {
            deferred.add(d);
            missing.put(d, e);
          } else {
            failed++;
            err.println("error: " + d.source() + ": " + label + ": " + e.getMessage());
          }
        }
      }
      if (deferred.size() == docs.size()) { // no progress: what is missing is not in this batch
        for (Manifests.Document d : deferred) {
          failed++;
          err.println(
              "error: " + d.source() + ": " + label(d) + ": " + missing.get(d).getMessage());
        }
        break;
      }
      docs = deferred;
    }
    return failed;
  }

  private static String label(Manifests.Document d) {
    return d.kind().toLowerCase(Locale.ROOT) + "/" + d.name();
  }
}
