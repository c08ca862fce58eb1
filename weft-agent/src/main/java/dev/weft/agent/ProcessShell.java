package dev.weft.agent;

import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;

/**
 * {@link Shell} over {@link ProcessBuilder}: stdout and stderr are drained concurrently (so a
 * chatty command never blocks on a full pipe), stdin is written whole then closed, and a command
 * that outlives its timeout is killed (with its descendants) and reported as such.
 */
public final class ProcessShell implements Shell {
  @Override
  public Result run(List<String> argv, String stdin, Duration timeout) {
    Process p;
    try {
      p = new ProcessBuilder(argv).start();
    } catch (IOException e) {
      throw new CommandFailedException(argv, "could not be started: " + e.getMessage(), e);
    }
    CompletableFuture<String> out = drain(p.getInputStream());
    CompletableFuture<String> err = drain(p.getErrorStream());
    try (OutputStream in = p.getOutputStream()) {
      if (stdin != null) {
        in.write(stdin.getBytes(StandardCharsets.UTF_8));
      }
    } catch (IOException e) {
      // The command exited before reading all of its input; its status and stderr say why.
    }
    try {
      if (!p.waitFor(timeout.toMillis(), TimeUnit.MILLISECONDS)) {
        p.descendants().forEach(ProcessHandle::destroyForcibly);
        p.destroyForcibly();
        p.waitFor(5, TimeUnit.SECONDS);
        throw new CommandFailedException(
            argv,
            "did not finish within "
                + timeout.toMillis()
                + " ms and was killed; stderr so far: "
                + err.getNow("").strip(),
            null);
      }
      return new Result(argv, stdin, p.exitValue(), out.get(), err.get());
    } catch (InterruptedException e) {
      p.destroyForcibly();
      Thread.currentThread().interrupt();
      throw new CommandFailedException(argv, "was interrupted", e);
    } catch (ExecutionException e) {
      throw new CommandFailedException(argv, "output could not be read", e.getCause());
    }
  }

  private static CompletableFuture<String> drain(InputStream s) {
    CompletableFuture<String> f = new CompletableFuture<>();
    Thread t =
        new Thread(
            () -> {
              try (s) {
                ByteArrayOutputStream buf = new ByteArrayOutputStream();
                s.transferTo(buf);
                f.complete(buf.toString(StandardCharsets.UTF_8));
              } catch (IOException e) {
                f.completeExceptionally(new UncheckedIOException(e));
              }
            },
            "shell-drain");
    t.setDaemon(true);
    t.start();
    return f;
  }
}
