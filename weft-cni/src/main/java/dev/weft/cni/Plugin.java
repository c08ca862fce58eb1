package dev.weft.cni;

import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.nio.charset.StandardCharsets;
import java.util.LinkedHashMap;
import java.util.Map;

/**
 * The plugin's logic with its process boundary passed in (environment, stdin, stdout, stderr), so
 * tests run it in-process; {@link Main} binds it to the real process.
 */
public final class Plugin {
  private Plugin() {}

  /**
   * Runs one CNI call and returns the process exit code: 0 on success, 1 after printing a CNI error
   * result on stdout.
   */
  public static int run(
      Map<String, String> env, InputStream stdin, OutputStream stdout, OutputStream stderr) {
    CniVersion version = CniVersion.LATEST;
    try {
      Command command = CallParser.command(env);
      if (command == Command.VERSION) {
        Map<String, Object> answer = new LinkedHashMap<>();
        answer.put("cniVersion", CniVersion.LATEST.text());
        answer.put("supportedVersions", CniVersion.supported());
        print(stdout, answer);
        return 0;
      }
      byte[] input;
      try {
        input = stdin.readAllBytes();
      } catch (IOException e) {
        throw new CniException(
            ErrorCodes.IO_FAILURE, "cannot read the network configuration", "stdin: " + e);
      }
      NetConf conf = CallParser.netConf(input);
      version = conf.cniVersion();
      CniCall call = CallParser.call(command, env, conf);
      Map<String, Object> answer;
      try {
        answer = new AgentClient(conf.agentSocket(), conf.timeout()).exchange(request(call));
      } catch (AgentUnavailableException e) {
        if (command == Command.DEL) {
          // The spec wants DEL to succeed when resources are already gone; whatever is left of
          // this container, the agent's reconcile removes when it starts again.
          log(
              stderr,
              "weft-cni: DEL "
                  + call.containerId()
                  + ": "
                  + e.getMessage()
                  + "; nothing to do now, the agent removes leftovers when it starts");
          return 0;
        }
        throw new CniException(
            ErrorCodes.TRY_AGAIN_LATER,
            "try again later: the weft agent for this node is not running",
            e.getMessage());
      }
      return answer(call, answer, stdout);
    } catch (CniException e) {
      return printError(stdout, version, e);
    } catch (RuntimeException e) {
      // A bug here must still reach kubelet as a CNI error, not as a bare stack trace.
      return printError(
          stdout,
          version,
          new CniException(ErrorCodes.INTERNAL, "internal error in weft-cni", e.toString()));
    }
  }

  private static int printError(OutputStream stdout, CniVersion version, CniException e) {
    Map<String, Object> error = new LinkedHashMap<>();
    error.put("cniVersion", version.text());
    error.put("code", e.code());
    error.put("msg", e.msg());
    error.put("details", e.details());
    print(stdout, error);
    return 1;
  }

  /** The request per PROTOCOL.md. */
  static Map<String, Object> request(CniCall call) {
    Map<String, Object> request = new LinkedHashMap<>();
    request.put("command", call.command().name());
    if (call.containerId() != null) {
      request.put("containerId", call.containerId());
    }
    if (call.command() != Command.STATUS && call.command() != Command.GC) {
      request.put("netns", call.netns() == null ? "" : call.netns());
      request.put("ifName", call.ifName());
    }
    request.put("args", call.args());
    request.put("config", call.conf().raw());
    request.put("timeoutMs", call.conf().agentTimeoutMillis());
    return request;
  }

  private static int answer(CniCall call, Map<String, Object> answer, OutputStream stdout)
      throws CniException {
    Object ok = answer.get("ok");
    if (Boolean.TRUE.equals(ok)) {
      if (call.command() == Command.ADD) {
        print(stdout, ResultConverter.convert(answer.get("result"), call.conf().cniVersion()));
      }
      return 0;
    }
    if (!Boolean.FALSE.equals(ok)) {
      throw new CniException(
          ErrorCodes.IO_FAILURE,
          "invalid answer from the weft agent",
          "expected \"ok\": true or false, found "
              + (answer.containsKey("ok") ? CallParser.describe(ok) : "nothing"));
    }
    if (!(answer.get("code") instanceof Long code) || code <= 0 || code > Integer.MAX_VALUE) {
      throw new CniException(
          ErrorCodes.IO_FAILURE,
          "invalid answer from the weft agent",
          "a failure must carry a positive integer \"code\", found "
              + CallParser.describe(answer.get("code")));
    }
    throw new CniException(
        code.intValue(),
        text(answer.get("msg"), "the weft agent failed"),
        text(answer.get("details"), ""));
  }

  private static String text(Object value, String fallback) {
    return value instanceof String s ? s : value == null ? fallback : Json.write(value);
  }

  private static void print(OutputStream out, Map<String, Object> value) {
    write(out, Json.write(value) + "\n");
  }

  private static void log(OutputStream err, String line) {
    write(err, line + "\n");
  }

  private static void write(OutputStream out, String text) {
    try {
      out.write(text.getBytes(StandardCharsets.UTF_8));
      out.flush();
    } catch (IOException e) {
      // Nowhere left to report it: kubelet closed our stdout/stderr.
    }
  }
}
