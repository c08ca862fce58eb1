package dev.weft.kube.embedded;

import dev.weft.kube.translate.KubeAnnotations;
import dev.weft.model.IpPrefix;
import dev.weft.model.PortRange;
import io.fabric8.kubernetes.api.model.Pod;
import io.fabric8.kubernetes.api.model.PodBuilder;
import io.fabric8.kubernetes.api.model.Service;
import io.fabric8.kubernetes.api.model.discovery.v1.EndpointSlice;
import io.fabric8.kubernetes.client.KubernetesClient;
import java.time.Clock;
import java.util.List;
import java.util.Map;

/**
 * Test fixture: the embedded Kubernetes API and its stand-ins, without a kube-manager. Pods get
 * their address the way Weft gives it (the network-status annotation), written by the test.
 */
final class StandInCluster implements AutoCloseable {
  final EmbeddedKubernetes api = EmbeddedKubernetes.start(0, null);
  final KubernetesClient client = api.newClient();
  private final KubernetesClient standInClient = api.newClient();
  final StandIns standIns;

  StandInCluster(List<IpPrefix> serviceSubnets) {
    this(serviceSubnets, StandIns.DEFAULT_NODE_PORT_RANGE, true);
  }

  /**
   * @param start whether to start the stand-ins now; tests that want objects in the API before the
   *     stand-ins see it call {@link #start()} themselves
   */
  StandInCluster(List<IpPrefix> serviceSubnets, PortRange nodePorts, boolean start) {
    standIns =
        new StandIns(
            standInClient,
            List.of("node-1", "node-2"),
            serviceSubnets,
            nodePorts,
            Clock.systemUTC());
    if (start) {
      start();
    }
  }

  void start() {
    standIns.start();
  }

  StandInCluster() {
    this(StandIns.DEFAULT_SERVICE_SUBNETS);
  }

  /** Creates a pod with labels, named container ports and the address Weft would have given it. */
  Pod pod(
      String ns, String name, String ip, Map<String, String> labels, Map<String, Integer> ports) {
    return pod(ns, name, ip, labels, ports, Map.of());
  }

  Pod pod(
      String ns,
      String name,
      String ip,
      Map<String, String> labels,
      Map<String, Integer> ports,
      Map<String, String> annotations) {
    var b =
        new PodBuilder()
            .withNewMetadata()
            .withName(name)
            .withNamespace(ns)
            .withLabels(labels)
            .withAnnotations(annotations)
            .addToAnnotations(
                KubeAnnotations.NETWORK_STATUS,
                "[{\"name\":\"weft\",\"interface\":\"eth0\",\"ips\":[\""
                    + ip
                    + "\"],\"default\":true}]")
            .endMetadata()
            .withNewSpec()
            .addNewContainer()
            .withName("c")
            .withImage("nginx")
            .endContainer()
            .endSpec();
    ports.forEach(
        (port, number) ->
            b.editSpec()
                .editFirstContainer()
                .addNewPort()
                .withName(port)
                .withContainerPort(number)
                .withProtocol("TCP")
                .endPort()
                .endContainer()
                .endSpec());
    return client.resource(b.build()).create();
  }

  Service service(String ns, String name) {
    return client.services().inNamespace(ns).withName(name).get();
  }

  /** The slices of a service managed by {@code controller}. */
  List<EndpointSlice> slices(String ns, String service, String controller) {
    return client
        .discovery()
        .v1()
        .endpointSlices()
        .inNamespace(ns)
        .withLabel(DesiredSlices.SERVICE_NAME_LABEL, service)
        .withLabel(DesiredSlices.MANAGED_BY_LABEL, controller)
        .list()
        .getItems();
  }

  List<EndpointSlice> slices(String ns, String service) {
    return slices(ns, service, DesiredSlices.CONTROLLER);
  }

  @Override
  public void close() {
    // Workers, then the API, then the watches: closing a watch on a running mock server can
    // stall it.
    standIns.stopWorkers();
    api.close();
    standIns.close();
    standInClient.close();
    client.close();
  }
}
