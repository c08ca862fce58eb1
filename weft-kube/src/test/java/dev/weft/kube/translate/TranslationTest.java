package dev.weft.kube.translate;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.weft.kube.ClusterConfig;
import dev.weft.model.ConfigObject;
import dev.weft.model.FqName;
import dev.weft.model.InstanceIp;
import dev.weft.model.NetworkPolicy;
import dev.weft.model.ObjectType;
import dev.weft.model.Ref;
import dev.weft.model.Subnet;
import dev.weft.model.VirtualMachineInterface;
import dev.weft.model.VirtualNetwork;
import java.util.List;
import java.util.Map;
import java.util.UUID;
import org.junit.jupiter.api.Test;

class TranslationTest {
  private final ClusterConfig config = ClusterConfig.defaults();

  private static List<String> names(List<ConfigObject> objects, ObjectType type) {
    return objects.stream().filter(o -> o.type() == type).map(o -> o.fqName().toString()).toList();
  }

  private static NamespaceInfo ns(String name, Map<String, String> annotations) {
    return new NamespaceInfo(
        name, UUID.nameUUIDFromBytes(name.getBytes()).toString(), Map.of(), annotations);
  }

  private static PodInfo pod(String ns, String name, Map<String, String> annotations) {
    return new PodInfo(
        ns,
        name,
        UUID.nameUUIDFromBytes((ns + name).getBytes()).toString(),
        Map.of(),
        annotations,
        false,
        "node-1",
        "",
        List.of());
  }

  @Test
  void clusterBootstrapUsesTheNamesContrailUsersKnow() {
    List<ConfigObject> objects = ClusterObjects.desired(config);
    assertThat(names(objects, ObjectType.PROJECT))
        .containsExactlyInAnyOrder(
            "default-domain:k8s-default",
            "default-domain:k8s-kube-system",
            "default-domain:default-project");
    assertThat(names(objects, ObjectType.NETWORK_IPAM))
        .contains(
            "default-domain:k8s-default:k8s-pod-ipam",
            "default-domain:k8s-default:k8s-service-ipam",
            "default-domain:k8s-default:k8s-ip-fabric-ipam");
    assertThat(names(objects, ObjectType.VIRTUAL_NETWORK))
        .containsExactlyInAnyOrder(
            "default-domain:k8s-default:k8s-default-pod-network",
            "default-domain:k8s-default:k8s-default-service-network");
    assertThat(names(objects, ObjectType.NETWORK_POLICY))
        .containsExactly("default-domain:k8s-default:k8s-default-pod-service-np");
    NetworkPolicy np =
        (NetworkPolicy)
            objects.stream().filter(o -> o instanceof NetworkPolicy).findFirst().orElseThrow();
    assertThat(np.rules()).hasSize(1);
    assertThat(np.rules().get(0).direction()).isEqualTo("<>");
    objects.stream()
        .filter(o -> o instanceof VirtualNetwork)
        .map(o -> (VirtualNetwork) o)
        .forEach(
            vn ->
                assertThat(vn.networkPolicyRefs())
                    .extracting(l -> l.policy().uuid())
                    .containsExactly(np.uuid()));
  }

  @Test
  void clusterNameIsThePrefixOfEveryDerivedName() {
    List<ConfigObject> objects = ClusterObjects.desired(config.withName("prod"));
    assertThat(names(objects, ObjectType.VIRTUAL_NETWORK))
        .containsExactlyInAnyOrder(
            "default-domain:prod-default:prod-default-pod-network",
            "default-domain:prod-default:prod-default-service-network");
  }

  @Test
  void translationIsDeterministic() {
    assertThat(ClusterObjects.desired(config)).isEqualTo(ClusterObjects.desired(config));
    NamespaceInfo iso = ns("ns-isolated", Map.of(KubeAnnotations.ISOLATION, "true"));
    assertThat(NamespaceObjects.desired(config, iso))
        .isEqualTo(NamespaceObjects.desired(config, iso));
  }

  @Test
  void nonIsolatedNamespaceGetsAProjectAndDefaultSecurityGroupOnly() {
    List<ConfigObject> objects = NamespaceObjects.desired(config, ns("ns-user-1", Map.of()));
    assertThat(names(objects, ObjectType.PROJECT)).containsExactly("default-domain:k8s-ns-user-1");
    assertThat(names(objects, ObjectType.SECURITY_GROUP))
        .containsExactly("default-domain:k8s-ns-user-1:k8s-ns-user-1-default-sg");
    assertThat(names(objects, ObjectType.VIRTUAL_NETWORK)).isEmpty();
  }

  @Test
  void isolatedNamespaceGetsItsOwnPodAndServiceNetworksJoinedByAPolicy() {
    List<ConfigObject> objects =
        NamespaceObjects.desired(
            config, ns("ns-isolated", Map.of(KubeAnnotations.ISOLATION, "true")));
    assertThat(names(objects, ObjectType.VIRTUAL_NETWORK))
        .containsExactlyInAnyOrder(
            "default-domain:k8s-ns-isolated:k8s-ns-isolated-pod-network",
            "default-domain:k8s-ns-isolated:k8s-ns-isolated-service-network");
    assertThat(names(objects, ObjectType.NETWORK_POLICY))
        .containsExactly("default-domain:k8s-ns-isolated:k8s-ns-isolated-pod-service-np");
    // Isolated networks share the cluster's flat pod and service subnets (no subnets of their own).
    objects.stream()
        .filter(o -> o instanceof VirtualNetwork)
        .map(o -> (VirtualNetwork) o)
        .forEach(vn -> assertThat(vn.ownSubnets()).isEmpty());
  }

  @Test
  void serviceIsolationIsRecordedForTheServiceWork() {
    List<ConfigObject> objects =
        NamespaceObjects.desired(
            config,
            ns(
                "ns-iso",
                Map.of(
                    KubeAnnotations.ISOLATION,
                    "true",
                    KubeAnnotations.SERVICE_ISOLATION,
                    "false")));
    ConfigObject project =
        objects.stream().filter(o -> o.type() == ObjectType.PROJECT).findFirst().orElseThrow();
    assertThat(project.annotations())
        .containsEntry(NamespaceObjects.ISOLATED, "true")
        .containsEntry(NamespaceObjects.SERVICE_ISOLATED, "false");
  }

  @Test
  void badIsolationValueNamesTheNamespaceTheAnnotationAndTheValue() {
    assertThatThrownBy(
            () ->
                NamespaceObjects.desired(
                    config, ns("dev", Map.of(KubeAnnotations.ISOLATION, "yes"))))
        .isInstanceOf(InputException.class)
        .hasMessage(
            "namespace \"dev\": annotation opencontrail.org/isolation: expected \"true\" or \"false\", found \"yes\"");
  }

  @Test
  void theDefaultNamespaceCannotBeIsolated() {
    assertThatThrownBy(
            () ->
                NamespaceObjects.desired(
                    config, ns("default", Map.of(KubeAnnotations.ISOLATION, "true"))))
        .isInstanceOf(InputException.class)
        .hasMessageContaining("cannot be isolated");
  }

  @Test
  void podNetworkPrecedenceIsPodThenNamespaceThenIsolationThenDefault() {
    String podNet =
        "{\"domain\":\"default-domain\",\"project\":\"k8s-default\",\"name\":\"vn-pod\"}";
    String nsNet = "{\"project\":\"k8s-default\",\"name\":\"vn-ns\"}";
    NamespaceInfo plain = ns("a", Map.of());
    NamespaceInfo isolated = ns("b", Map.of(KubeAnnotations.ISOLATION, "true"));
    NamespaceInfo custom =
        ns("c", Map.of(KubeAnnotations.ISOLATION, "true", KubeAnnotations.NETWORK, nsNet));
    assertThat(PodObjects.network(config, pod("a", "p", Map.of()), plain))
        .isEqualTo(FqName.parse("default-domain:k8s-default:k8s-default-pod-network"));
    assertThat(PodObjects.network(config, pod("b", "p", Map.of()), isolated))
        .isEqualTo(FqName.parse("default-domain:k8s-b:k8s-b-pod-network"));
    assertThat(PodObjects.network(config, pod("c", "p", Map.of()), custom))
        .isEqualTo(FqName.parse("default-domain:k8s-default:vn-ns"));
    assertThat(
            PodObjects.network(
                config, pod("c", "p", Map.of(KubeAnnotations.NETWORK, podNet)), custom))
        .isEqualTo(FqName.parse("default-domain:k8s-default:vn-pod"));
  }

  @Test
  void malformedNetworkAnnotationsAreRefusedWithTheExpectedShape() {
    NamespaceInfo plain = ns("a", Map.of());
    assertThatThrownBy(
            () ->
                PodObjects.network(
                    config, pod("a", "p", Map.of(KubeAnnotations.NETWORK, "{not json")), plain))
        .isInstanceOf(InputException.class)
        .hasMessageContaining("pod \"a/p\": annotation opencontrail.org/network: is not valid JSON")
        .hasMessageContaining("\"project\"");
    assertThatThrownBy(
            () ->
                PodObjects.network(
                    config,
                    pod("a", "p", Map.of(KubeAnnotations.NETWORK, "{\"name\":\"x\"}")),
                    plain))
        .hasMessageContaining("field \"project\" is missing");
    assertThatThrownBy(
            () ->
                PodObjects.network(
                    config,
                    pod(
                        "a",
                        "p",
                        Map.of(
                            KubeAnnotations.NETWORK,
                            "{\"project\":\"p\",\"name\":\"x\",\"tenant\":\"t\"}")),
                    plain))
        .hasMessageContaining("unknown field \"tenant\"");
  }

  @Test
  void podObjectsAreAMachineAnInterfaceAndAnAddressPerFamily() {
    PodInfo p = pod("default", "web-1", Map.of());
    VirtualNetwork vn =
        (VirtualNetwork)
            ClusterObjects.desired(config).stream()
                .filter(o -> o.fqName().name().equals("k8s-default-pod-network"))
                .findFirst()
                .orElseThrow();
    Ref project =
        new Ref(ObjectType.PROJECT, UUID.randomUUID(), FqName.parse("default-domain:k8s-default"));
    List<PodAddress> addresses =
        List.of(
            new PodAddress("10.32.0.5", Subnet.of("10.32.0.0/12"), "pool"),
            new PodAddress("fd00::5", Subnet.of("fd00::/64"), "pool"));
    List<ConfigObject> objects = PodObjects.desired(config, p, vn, project, null, addresses);
    assertThat(objects.get(0).uuid()).isEqualTo(UUID.fromString(p.uid()));
    assertThat(objects.get(0).fqName().toString()).isEqualTo("k8s__default__web-1");
    VirtualMachineInterface vmi = (VirtualMachineInterface) objects.get(1);
    assertThat(vmi.macAddress()).startsWith("02:");
    assertThat(vmi.virtualNetwork().uuid()).isEqualTo(vn.uuid());
    assertThat(objects).filteredOn(o -> o instanceof InstanceIp).hasSize(2);
    assertThat(objects.stream().flatMap(o -> o.owner().stream()).map(o -> o.key()).distinct())
        .containsExactly("Pod/default/web-1");
    String status =
        PodObjects.networkStatus(vn.fqName(), List.of("fd00::5", "10.32.0.5"), vmi.macAddress());
    assertThat(status)
        .isEqualTo(
            "[{\"name\":\"default-domain:k8s-default:k8s-default-pod-network\",\"interface\":\"eth0\","
                + "\"ips\":[\"10.32.0.5\",\"fd00::5\"],\"mac\":\""
                + vmi.macAddress()
                + "\",\"default\":true,\"dns\":{}}]");
  }
}
