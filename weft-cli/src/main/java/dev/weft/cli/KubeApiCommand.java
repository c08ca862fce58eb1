package dev.weft.cli;

import dev.weft.kube.embedded.EmbeddedKubernetes;
import dev.weft.kube.embedded.StandIns;
import io.fabric8.kubernetes.client.KubernetesClient;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Clock;
import java.util.List;
import java.util.concurrent.Callable;
import java.util.concurrent.CountDownLatch;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

/** {@code weft kube-api}: the embedded Kubernetes API and its stand-ins, on their own. */
@Command(
    name = "kube-api",
    description = "Run the embedded Kubernetes API alone (kubeconfig in DATA_DIR/kubeconfig).")
final class KubeApiCommand implements Callable<Integer> {
  @Option(
      names = "--port",
      defaultValue = "6443",
      description = "API port (default: ${DEFAULT-VALUE})")
  int port;

  @Option(
      names = "--data-dir",
      defaultValue = "weft-data",
      description = "Data directory (default: ${DEFAULT-VALUE})")
  Path dataDir;

  @Option(
      names = "--nodes",
      split = ",",
      defaultValue = "node-1,node-2",
      description = "Node names (default: ${DEFAULT-VALUE})")
  List<String> nodes;

  @Option(
      names = "--service-subnet",
      split = ",",
      defaultValue = "10.96.0.0/12",
      description =
          "Service subnets the embedded cluster gives cluster IPs from; the same as Weft's"
              + " (default: ${DEFAULT-VALUE})")
  List<String> serviceSubnets;

  @Override
  public Integer call() throws Exception {
    Files.createDirectories(dataDir);
    java.util.List<dev.weft.model.IpPrefix> subnets =
        serviceSubnets.stream().map(dev.weft.model.IpPrefix::parse).toList();
    EmbeddedKubernetes api = EmbeddedKubernetes.start(port, dataDir);
    KubernetesClient client = api.newClient();
    StandIns standIns = new StandIns(client, nodes, subnets, Clock.systemUTC());
    standIns.start();
    CountDownLatch stopped = new CountDownLatch(1);
    Runtime.getRuntime()
        .addShutdownHook(
            new Thread(
                () -> {
                  // Workers, then the API, then the watches (see WeftServer#close).
                  standIns.stopWorkers();
                  api.close();
                  standIns.close();
                  client.close();
                  stopped.countDown();
                }));
    System.out.println("weft: Kubernetes API at " + api.url() + ", kubeconfig " + api.kubeconfig());
    System.out.flush();
    stopped.await();
    return 0;
  }
}
