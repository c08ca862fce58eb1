package dev.weft.agent;

import dev.weft.agent.cni.CniHandler;
import dev.weft.agent.cni.CniServer;
import dev.weft.agent.cni.PodWiring;
import dev.weft.agent.linux.LinuxNode;
import dev.weft.agent.linux.ReconcileReport;
import dev.weft.agent.node.Introspection;
import dev.weft.agent.node.NodeAgent;
import dev.weft.store.ConfigStore;
import java.io.IOException;
import java.nio.file.Path;
import java.time.Clock;

/**
 * The node agent ({@code weft agent}) assembled: the {@link NodeAgent} that follows the store and
 * programs the node, the CNI endpoint on a Unix socket, and the introspection page. Closing it
 * stops all three and leaves the node's kernel as it is (pods keep their traffic while the agent
 * restarts); {@link #teardown} is the explicit way to remove what Weft owns.
 */
public final class Agent implements AutoCloseable {
  /**
   * What to serve.
   *
   * @param cniSocket the CNI endpoint's socket path
   * @param introspectHost the introspection page's address, or null for none
   * @param introspectPort its port (0: any free one)
   */
  public record Config(
      NodeAgent.Options node, Path cniSocket, String introspectHost, int introspectPort) {}

  private final NodeAgent node;
  private final CniServer cni;
  private final Introspection introspection;

  private Agent(NodeAgent node, CniServer cni, Introspection introspection) {
    this.node = node;
    this.cni = cni;
    this.introspection = introspection;
  }

  /**
   * Starts the agent on {@code store} (only read, and the caller's to close after the agent).
   *
   * @throws IOException when the socket or the introspection address cannot be served
   */
  public static Agent start(ConfigStore store, Shell shell, Config config, Clock clock)
      throws IOException {
    NodeAgent node = NodeAgent.start(store, shell, config.node(), clock);
    CniServer cni = null;
    try {
      PodWiring wiring = new PodWiring(shell, config.node().netns());
      cni = CniServer.start(config.cniSocket(), new CniHandler(node, wiring));
      Introspection introspection =
          config.introspectHost() == null
              ? null
              : Introspection.start(
                  node, wiring::containers, config.introspectHost(), config.introspectPort());
      return new Agent(node, cni, introspection);
    } catch (IOException | RuntimeException e) {
      if (cni != null) {
        cni.close();
      }
      node.close();
      throw e;
    }
  }

  /**
   * Removes everything Weft owns from node {@code node} (in namespace {@code netns}, null: this
   * process's): pods' veths, VXLAN devices, routes, rules and the nftables table.
   */
  public static ReconcileReport teardown(String node, String netns, Shell shell) {
    return new LinuxNode(node, shell, netns).teardown();
  }

  public NodeAgent node() {
    return node;
  }

  public Path cniSocket() {
    return cni.socket();
  }

  /** The introspection page's URL, or null when not served. */
  public String introspectionUrl() {
    return introspection == null ? null : introspection.url();
  }

  @Override
  public void close() {
    cni.close();
    if (introspection != null) {
      introspection.close();
    }
    node.close();
  }
}
