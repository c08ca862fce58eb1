package dev.weft.cni;

import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;

/** Runs the plugin as kubelet does: a child process with only the given environment. */
public final class ChildProcess {
  /** A finished run. */
  public record Result(int exit, String stdout, String stderr) {}

  private ChildProcess() {}

  /** The java executable of the JVM running the tests. */
  public static String java() {
    return Path.of(System.getProperty("java.home"), "bin", "java").toString();
  }

  public static Result run(List<String> command, Map<String, String> env, String stdin)
      throws IOException, InterruptedException {
    ProcessBuilder builder = new ProcessBuilder(command);
    builder.environment().clear();
    builder.environment().put("PATH", System.getenv().getOrDefault("PATH", "/usr/bin:/bin"));
    builder.environment().putAll(env);
    Process process = builder.start();
    CompletableFuture<String> stderr = drain(process.getErrorStream());
    CompletableFuture<String> stdout = drain(process.getInputStream());
    try (OutputStream in = process.getOutputStream()) {
      in.write(stdin.getBytes(StandardCharsets.UTF_8));
    } catch (IOException e) {
      // VERSION does not read stdin; the plugin may exit before we finish writing.
    }
    if (!process.waitFor(60, TimeUnit.SECONDS)) {
      process.destroyForcibly();
      throw new IOException(command + " did not finish in 60 s");
    }
    return new Result(process.exitValue(), stdout.join(), stderr.join());
  }

  private static CompletableFuture<String> drain(InputStream stream) {
    return CompletableFuture.supplyAsync(
        () -> {
          try (stream) {
            return new String(stream.readAllBytes(), StandardCharsets.UTF_8);
          } catch (IOException e) {
            return "";
          }
        });
  }
}
