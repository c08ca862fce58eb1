package dev.weft.kube.translate;

import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.weft.kube.ClusterConfig;
import dev.weft.model.ConfigObject;
import dev.weft.model.FqName;
import dev.weft.model.InstanceIp;
import dev.weft.model.IpFamily;
import dev.weft.model.Names;
import dev.weft.model.ObjectType;
import dev.weft.model.Owner;
import dev.weft.model.Ref;
import dev.weft.model.VirtualMachine;
import dev.weft.model.VirtualMachineInterface;
import dev.weft.model.VirtualNetwork;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.UUID;

/**
 * Objects for one pod: a virtual machine (UUID = pod UID), its interface in the chosen network, and
 * one instance IP per address family; and the {@code network-status} annotation that tells the pod
 * (and people) what it got. The interface carries the pod's labels (its tags in the pod-label tag
 * space) and the ports its containers declare, which is all network policies need of a pod: a label
 * change rewrites this one interface and no policy.
 */
public final class PodObjects {
  private static final ObjectMapper JSON = new ObjectMapper();

  private PodObjects() {}

  /**
   * The network a pod belongs in, most specific first: the pod's {@code opencontrail.org/network}
   * annotation, the namespace's, the isolated namespace's own pod network, the default one.
   *
   * @throws InputException when an annotation is malformed
   */
  public static FqName network(ClusterConfig config, PodInfo pod, NamespaceInfo ns) {
    String podNetwork = pod.annotations().get(KubeAnnotations.NETWORK);
    if (podNetwork != null) {
      return KubeAnnotations.network(
          "pod \"" + pod.namespace() + "/" + pod.name() + "\"",
          KubeAnnotations.NETWORK,
          podNetwork);
    }
    NamespaceSettings settings = NamespaceSettings.of(ns);
    if (settings.network() != null) {
      return settings.network();
    }
    if (settings.isolated() && !ns.name().equals("default")) {
      return Names.podNetwork(config.name(), ns.name());
    }
    return Names.podNetwork(config.name(), "default");
  }

  public static UUID interfaceUuid(PodInfo pod) {
    return Uuids.of("virtual-machine-interface", pod.uid());
  }

  public static UUID instanceIpUuid(PodInfo pod, IpFamily family) {
    return Uuids.of("instance-ip", pod.uid(), family.wire());
  }

  /** A stable, locally administered unicast MAC derived from the interface UUID. */
  public static String mac(UUID interfaceUuid) {
    long bits = interfaceUuid.getLeastSignificantBits() ^ interfaceUuid.getMostSignificantBits();
    StringBuilder sb = new StringBuilder("02");
    for (int i = 0; i < 5; i++) {
      sb.append(':').append(String.format("%02x", (bits >>> (8 * i)) & 0xff));
    }
    return sb.toString();
  }

  public static List<ConfigObject> desired(
      ClusterConfig config,
      PodInfo pod,
      VirtualNetwork network,
      Ref project,
      Ref securityGroup,
      List<PodAddress> addresses) {
    String c = config.name();
    Map<String, String> own = Owner.pod(c, pod.namespace(), pod.name(), pod.uid()).annotations();
    VirtualMachine vm =
        new VirtualMachine(
            Uuids.fromUid(pod.uid()),
            Names.virtualMachine(c, pod.namespace(), pod.name()),
            null,
            own,
            pod.nodeName().isEmpty()
                ? null
                : new Ref(
                    ObjectType.VIRTUAL_ROUTER,
                    NodeObjects.routerUuid(pod.nodeName()),
                    Names.virtualRouter(pod.nodeName())));
    UUID vmiUuid = interfaceUuid(pod);
    VirtualMachineInterface vmi =
        new VirtualMachineInterface(
            vmiUuid,
            Names.podInterface(c, pod.namespace(), pod.name()),
            project,
            own,
            Ref.to(vm),
            Ref.to(network),
            mac(vmiUuid),
            securityGroup == null ? List.of() : List.of(securityGroup),
            List.of(),
            pod.labels(),
            pod.ports());
    List<ConfigObject> out = new ArrayList<>();
    out.add(vm);
    out.add(vmi);
    for (PodAddress a : addresses) {
      IpFamily family = a.subnet().prefix().family();
      out.add(
          new InstanceIp(
              instanceIpUuid(pod, family),
              Names.podInstanceIp(c, pod.namespace(), pod.name(), family),
              null,
              own,
              a.address(),
              family,
              a.subnet().prefix(),
              a.subnet().gateway(),
              a.pool(),
              Ref.to(network),
              List.of(Ref.to(vmi)),
              false));
    }
    return out;
  }

  /**
   * The {@code k8s.v1.cni.cncf.io/network-status} value: one entry for the pod's interface with its
   * network's FQ name, addresses (IPv4 first) and MAC.
   */
  public static String networkStatus(FqName network, List<String> ips, String mac) {
    ArrayNode list = JSON.createArrayNode();
    ObjectNode entry = list.addObject();
    entry.put("name", network.toString());
    entry.put("interface", "eth0");
    ArrayNode ipList = entry.putArray("ips");
    ips.stream()
        .sorted((a, b) -> Boolean.compare(a.contains(":"), b.contains(":")))
        .forEach(ipList::add);
    entry.put("mac", mac);
    entry.put("default", true);
    entry.putObject("dns");
    return list.toString();
  }
}
