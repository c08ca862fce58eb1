package dev.weft.cni;

import java.nio.file.Path;
import java.time.Duration;
import java.util.Map;

/**
 * The validated network configuration from stdin: the fields the plugin itself uses, plus the whole
 * object as given, which is forwarded to the agent untouched.
 *
 * @param cniVersion the version the runtime speaks, and the version of the result we print
 * @param name the network name
 * @param type the plugin type (the executable's name)
 * @param agentSocket the agent's Unix socket ({@code "agentSocket"})
 * @param timeout the overall bound on one call ({@code "timeoutSeconds"})
 * @param raw the configuration object exactly as parsed
 */
public record NetConf(
    CniVersion cniVersion,
    String name,
    String type,
    Path agentSocket,
    Duration timeout,
    Map<String, Object> raw) {

  /** Where the agent listens unless the config says otherwise. */
  public static final Path DEFAULT_AGENT_SOCKET = Path.of("/run/weft/cni.sock");

  /** The overall bound on one call unless the config says otherwise. */
  public static final Duration DEFAULT_TIMEOUT = Duration.ofSeconds(60);

  /**
   * How long the agent may wait, a bit less than the overall bound, so the agent's own "not ready
   * within the bound" error (code 100, naming what is missing) reaches kubelet before we give up on
   * the socket.
   */
  public long agentTimeoutMillis() {
    long bound = timeout.toMillis();
    long margin = Math.min(5_000, Math.max(100, bound / 10));
    return Math.max(1, bound - margin);
  }
}
