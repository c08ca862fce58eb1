package dev.weft.kube;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import dev.weft.kube.translate.KubeAnnotations;
import dev.weft.model.FqName;
import dev.weft.model.NetworkPolicy;
import dev.weft.model.ObjectType;
import dev.weft.model.PolicyLink;
import dev.weft.model.PolicyRule;
import dev.weft.model.Project;
import dev.weft.model.Ref;
import dev.weft.model.VirtualNetwork;
import dev.weft.store.objects.Stored;
import io.fabric8.kubernetes.api.model.NamespaceBuilder;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.UUID;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/**
 * A user joins a network to the default pod network by linking their own policy to it (what the
 * config API does for a NetworkPolicy document's {@code spec.networks}); the running kube-manager
 * keeps that link through namespace and pod churn and a restart, and does not rewrite the network.
 */
class UserPolicyLinkTest {
  private static final FqName POD_NETWORK =
      FqName.parse("default-domain:k8s-default:k8s-default-pod-network");
  private Cluster cluster;

  static {
    org.awaitility.Awaitility.setDefaultTimeout(Duration.ofSeconds(20));
    org.awaitility.Awaitility.setDefaultPollInterval(Duration.ofMillis(20));
  }

  @BeforeEach
  void start() throws Exception {
    cluster = new Cluster(ClusterConfig.defaults());
  }

  @AfterEach
  void stop() {
    cluster.close();
  }

  private Optional<Stored<VirtualNetwork>> podNetwork() {
    return cluster.store.cache().get(ObjectType.VIRTUAL_NETWORK, POD_NETWORK);
  }

  private List<FqName> linkedPolicies() {
    return podNetwork().orElseThrow().object().networkPolicyRefs().stream()
        .map(l -> l.policy().to())
        .toList();
  }

  private void namespace(String name, Map<String, String> annotations) {
    cluster
        .client
        .resource(
            new NamespaceBuilder()
                .withNewMetadata()
                .withName(name)
                .withAnnotations(annotations)
                .endMetadata()
                .build())
        .createOr(Cluster::updateRetrying);
  }

  private NetworkPolicy attachUserPolicy() {
    Project project =
        cluster
            .store
            .cache()
            .<Project>get(ObjectType.PROJECT, POD_NETWORK.parentName())
            .orElseThrow()
            .object();
    NetworkPolicy policy =
        new NetworkPolicy(
            UUID.randomUUID(),
            project.fqName().child("np-join"),
            Ref.to(project),
            Map.of(),
            List.of(PolicyRule.passBetween(POD_NETWORK, project.fqName().child("vn-left-1"))));
    Stored<VirtualNetwork> network = podNetwork().orElseThrow();
    List<PolicyLink> links = new ArrayList<>(network.object().networkPolicyRefs());
    links.add(new PolicyLink(Ref.to(policy), 0));
    cluster.store.commit(
        cluster.store.begin().create(policy).update(network, network.object().withPolicies(links)));
    return policy;
  }

  @Test
  void aUserLinkOnTheDefaultPodNetworkSurvivesReconcilesAndARestart() throws Exception {
    await().until(() -> podNetwork().isPresent());
    assertThat(cluster.manager.awaitIdle(Duration.ofSeconds(20))).isTrue();
    NetworkPolicy mine = attachUserPolicy();
    long linkedAt = podNetwork().orElseThrow().modRevision();

    namespace("ns-isolated", Map.of(KubeAnnotations.ISOLATION, "true"));
    namespace("ns-open", Map.of());
    cluster.createPod("default", "web-1", Map.of(), false);
    cluster.createPod("ns-open", "web-2", Map.of(), false);
    await()
        .until(
            () ->
                cluster.store.cache().count(ObjectType.VIRTUAL_MACHINE) == 2
                    && cluster.store.cache().count(ObjectType.VIRTUAL_NETWORK) == 4);
    namespace("ns-isolated", Map.of());
    await().until(() -> cluster.store.cache().count(ObjectType.VIRTUAL_NETWORK) == 2);
    assertThat(cluster.manager.awaitIdle(Duration.ofSeconds(20))).isTrue();
    cluster.stopManager();
    cluster.startManager();
    assertThat(cluster.manager.awaitIdle(Duration.ofSeconds(20))).isTrue();

    assertThat(linkedPolicies())
        .containsExactly(
            FqName.parse("default-domain:k8s-default:k8s-default-pod-service-np"), mine.fqName());
    assertThat(podNetwork().orElseThrow().modRevision()).isEqualTo(linkedAt);
  }
}
