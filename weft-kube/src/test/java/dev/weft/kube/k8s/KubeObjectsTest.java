package dev.weft.kube.k8s;

import static org.assertj.core.api.Assertions.assertThat;

import dev.weft.kube.translate.NetworkPolicyInfo;
import dev.weft.kube.translate.PodInfo;
import dev.weft.model.ContainerPort;
import dev.weft.model.Protocol;
import io.fabric8.kubernetes.api.model.IntOrString;
import io.fabric8.kubernetes.api.model.Pod;
import io.fabric8.kubernetes.api.model.PodBuilder;
import io.fabric8.kubernetes.api.model.networking.v1.NetworkPolicy;
import io.fabric8.kubernetes.client.utils.Serialization;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;

/** fabric8 objects reduced to what Weft reads, at the boundary. */
class KubeObjectsTest {

  @Test
  void aPodDeclaresThePortsOfItsContainersButNotOfItsInitContainers() {
    Pod pod =
        new PodBuilder()
            .withNewMetadata()
            .withName("p")
            .withNamespace("x")
            .withUid("u")
            .addToLabels("app", "web")
            .endMetadata()
            .withNewSpec()
            .addNewInitContainer()
            .withName("init")
            .addNewPort()
            .withName("init-port")
            .withContainerPort(9999)
            .endPort()
            .endInitContainer()
            .addNewContainer()
            .withName("a")
            .addNewPort()
            .withName("serve-80-tcp")
            .withContainerPort(80)
            .endPort()
            .addNewPort()
            .withName("serve-80-udp")
            .withContainerPort(80)
            .withProtocol("UDP")
            .endPort()
            .endContainer()
            .addNewContainer()
            .withName("b")
            .addNewPort()
            .withContainerPort(81)
            .withProtocol("SCTP")
            .endPort()
            .addNewPort()
            .withName("empty-protocol")
            .withContainerPort(82)
            .withProtocol("")
            .endPort()
            // What the API server would refuse matches nothing, so it is left out.
            .addNewPort()
            .withName("bad")
            .withContainerPort(0)
            .endPort()
            .addNewPort()
            .withName("icmp")
            .withContainerPort(1)
            .withProtocol("ICMP")
            .endPort()
            .endContainer()
            .endSpec()
            .build();
    PodInfo info = KubeObjects.pod(pod);
    assertThat(info.labels()).isEqualTo(Map.of("app", "web"));
    assertThat(info.ports())
        .containsExactly(
            new ContainerPort("serve-80-tcp", Protocol.TCP, 80),
            new ContainerPort("serve-80-udp", Protocol.UDP, 80),
            new ContainerPort("", Protocol.SCTP, 81),
            new ContainerPort("empty-protocol", Protocol.TCP, 82));
  }

  private static NetworkPolicyInfo parse(String yaml) {
    return KubeObjects.networkPolicy(Serialization.unmarshal(yaml, NetworkPolicy.class));
  }

  @Test
  void aNetworkPolicyIsReadAsWritten() {
    NetworkPolicyInfo np =
        parse(
            """
            apiVersion: networking.k8s.io/v1
            kind: NetworkPolicy
            metadata: {name: web, namespace: dev, uid: u1}
            spec:
              podSelector:
                matchLabels: {app: web}
                matchExpressions:
                - {key: tier, operator: NotIn, values: [db]}
              ingress:
              - from:
                - podSelector: {matchLabels: {role: fe}}
                  namespaceSelector: {}
                - ipBlock: {cidr: 10.0.0.0/8, except: [10.1.0.0/16]}
                ports:
                - port: 80
                - {port: http, protocol: UDP}
                - {port: 32000, endPort: 32768}
              - {}
              egress: []
            """);
    assertThat(np.key()).isEqualTo("NetworkPolicy/dev/web");
    assertThat(np.uid()).isEqualTo("u1");
    assertThat(np.podSelector().matchLabels()).isEqualTo(Map.of("app", "web"));
    assertThat(np.podSelector().matchExpressions())
        .containsExactly(new NetworkPolicyInfo.Expression("tier", "NotIn", List.of("db")));
    assertThat(np.policyTypes()).isEmpty();
    assertThat(np.egress()).isEmpty();
    assertThat(np.ingress()).hasSize(2);
    NetworkPolicyInfo.Rule first = np.ingress().get(0);
    assertThat(first.peers())
        .containsExactly(
            new NetworkPolicyInfo.Peer(
                new NetworkPolicyInfo.Selector(Map.of("role", "fe"), List.of()),
                new NetworkPolicyInfo.Selector(Map.of(), List.of()),
                null),
            new NetworkPolicyInfo.Peer(
                null, null, new NetworkPolicyInfo.IpBlock("10.0.0.0/8", List.of("10.1.0.0/16"))));
    assertThat(first.ports())
        .containsExactly(
            new NetworkPolicyInfo.Port(null, 80, null, null),
            new NetworkPolicyInfo.Port("UDP", null, "http", null),
            new NetworkPolicyInfo.Port(null, 32000, null, 32768));
    assertThat(np.ingress().get(1)).isEqualTo(new NetworkPolicyInfo.Rule(List.of(), List.of()));
  }

  @Test
  void aPortNumberWrittenAsAStringIsAName() {
    NetworkPolicy policy =
        Serialization.unmarshal(
            """
            apiVersion: networking.k8s.io/v1
            kind: NetworkPolicy
            metadata: {name: web, namespace: dev}
            spec:
              podSelector: {}
              ingress:
              - ports:
                - port: "80"
            """,
            NetworkPolicy.class);
    // Kubernetes' IntOrString keeps "80" a string, which the API server validates as a port name.
    assertThat(policy.getSpec().getIngress().get(0).getPorts().get(0).getPort())
        .isEqualTo(new IntOrString("80"));
    assertThat(KubeObjects.networkPolicy(policy).ingress().get(0).ports())
        .containsExactly(new NetworkPolicyInfo.Port(null, null, "80", null));
  }

  @Test
  void aPolicyWithoutSpecIsTheZeroSpec() {
    NetworkPolicyInfo np =
        parse(
            """
            apiVersion: networking.k8s.io/v1
            kind: NetworkPolicy
            metadata: {name: web, namespace: dev}
            """);
    assertThat(np.podSelector()).isNull();
    assertThat(np.ingress()).isEmpty();
    assertThat(np.egress()).isEmpty();
    assertThat(np.policyTypes()).isEmpty();
  }
}
