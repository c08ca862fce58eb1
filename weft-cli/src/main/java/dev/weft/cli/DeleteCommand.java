package dev.weft.cli;

import com.fasterxml.jackson.databind.JsonNode;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import java.util.Locale;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;

/** {@code weft delete -f FILE|DIR}: delete every document's object, dependents first. */
@Command(name = "delete", description = "Delete the objects of a manifest file or folder.")
final class DeleteCommand implements Callable<Integer> {
  @Option(
      names = {"-f", "--filename"},
      required = true,
      description = "Manifest file or folder")
  Path file;

  @Mixin ServerOption server;

  @Override
  public Integer call() throws Exception {
    ServerClient client = server.client();
    List<Manifests.Document> docs = new ArrayList<>(Manifests.read(file));
    docs.sort(Comparator.comparingInt(ApplyCommand::rank).reversed());
    int failed = 0;
    for (Manifests.Document d : docs) {
      String label = d.kind().toLowerCase(Locale.ROOT) + "/" + d.name();
      try {
        JsonNode r = deleteOne(client, d);
        String result =
            r.path("result").asText(r.path("deleted").asBoolean() ? "deleted" : "not found");
        System.out.println(label + " " + result);
      } catch (ServerClient.ApiError e) {
        failed++;
        System.err.println("error: " + d.source() + ": " + label + ": " + e.getMessage());
      }
    }
    return failed == 0 ? 0 : 1;
  }

  /**
   * Deletes one object. A Weft object still in use by objects Weft derives from Kubernetes (a
   * network whose pods were deleted a moment ago) frees up once the kube-manager has caught up, so
   * a conflict is retried for a bounded time before it is reported.
   */
  private static JsonNode deleteOne(ServerClient client, Manifests.Document d)
      throws java.io.IOException, ServerClient.ApiError {
    long deadline = System.nanoTime() + java.util.concurrent.TimeUnit.SECONDS.toNanos(30);
    while (true) {
      try {
        return client.post(d.isWeft() ? "/delete" : "/k8s/delete", d.body());
      } catch (ServerClient.ApiError e) {
        if (!d.isWeft() || e.status != 409 || System.nanoTime() > deadline) {
          throw e;
        }
        try {
          Thread.sleep(200);
        } catch (InterruptedException ie) {
          Thread.currentThread().interrupt();
          throw e;
        }
      }
    }
  }
}
