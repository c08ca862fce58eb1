package dev.weft.kube;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import dev.weft.kube.translate.EndpointSliceInfo;
import dev.weft.model.InstanceIp;
import dev.weft.model.IpPrefix;
import dev.weft.model.Loadbalancer;
import dev.weft.model.LoadbalancerMember;
import dev.weft.model.ObjectType;
import io.fabric8.kubernetes.api.model.Pod;
import io.fabric8.kubernetes.api.model.PodIP;
import io.fabric8.kubernetes.api.model.ServiceBuilder;
import io.fabric8.kubernetes.api.model.discovery.v1.EndpointBuilder;
import io.fabric8.kubernetes.api.model.discovery.v1.EndpointPortBuilder;
import io.fabric8.kubernetes.api.model.discovery.v1.EndpointSliceBuilder;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/** A dual-stack service: one VIP instance IP per family, members of both families. */
class DualStackServiceTest {
  private Cluster cluster;

  @BeforeEach
  void start() throws Exception {
    cluster =
        new Cluster(
            ClusterConfig.defaults()
                .withPodSubnets(
                    List.of(IpPrefix.parse("10.32.0.0/12"), IpPrefix.parse("fd00:10:32::/64")))
                .withServiceSubnets(
                    List.of(IpPrefix.parse("10.96.0.0/12"), IpPrefix.parse("fd00:10:96::/112"))));
  }

  @AfterEach
  void stop() {
    cluster.close();
  }

  private void slice(String name, String type, String address) {
    cluster
        .client
        .resource(
            new EndpointSliceBuilder()
                .withNewMetadata()
                .withName(name)
                .withNamespace("default")
                .addToLabels(EndpointSliceInfo.SERVICE_NAME, "web")
                .endMetadata()
                .withAddressType(type)
                .withPorts(
                    new EndpointPortBuilder()
                        .withName("")
                        .withProtocol("TCP")
                        .withPort(8080)
                        .build())
                .withEndpoints(
                    new EndpointBuilder()
                        .withAddresses(address)
                        .withNewConditions()
                        .withReady(true)
                        .endConditions()
                        .withNewTargetRef()
                        .withKind("Pod")
                        .withName("dual")
                        .endTargetRef()
                        .build())
                .build())
        .create();
  }

  @Test
  void aDualStackServiceHasAVipPerFamilyAndMembersOfBoth() throws Exception {
    cluster.createPod("default", "dual", Map.of(), false);
    await()
        .atMost(Duration.ofSeconds(20))
        .until(
            () -> {
              Pod p = cluster.client.pods().inNamespace("default").withName("dual").get();
              return p.getStatus() != null
                  && p.getStatus().getPodIPs() != null
                  && p.getStatus().getPodIPs().size() == 2;
            });
    List<String> ips =
        cluster
            .client
            .pods()
            .inNamespace("default")
            .withName("dual")
            .get()
            .getStatus()
            .getPodIPs()
            .stream()
            .map(PodIP::getIp)
            .toList();
    cluster
        .client
        .resource(
            new ServiceBuilder()
                .withNewMetadata()
                .withName("web")
                .withNamespace("default")
                .endMetadata()
                .withNewSpec()
                .withClusterIP("10.96.0.40")
                .withClusterIPs("10.96.0.40", "fd00:10:96::40")
                .withIpFamilies("IPv4", "IPv6")
                .addNewPort()
                .withProtocol("TCP")
                .withPort(80)
                .endPort()
                .endSpec()
                .build())
        .create();
    slice("web-v4", "IPv4", ips.get(0));
    slice("web-v6", "IPv6", ips.get(1));
    Processed p = cluster.manager.awaitProcessed(Duration.ofSeconds(20));
    assertThat(p.reached()).as(p.describe()).isTrue();

    List<Loadbalancer> lbs =
        cluster.store.cache().<Loadbalancer>list(ObjectType.LOADBALANCER).stream()
            .map(s -> s.object())
            .toList();
    assertThat(lbs)
        .singleElement()
        .satisfies(
            lb -> {
              assertThat(lb.vipAddress()).isEqualTo("10.96.0.40");
              assertThat(lb.vipInstanceIps()).hasSize(2);
            });
    assertThat(
            cluster.store.cache().<InstanceIp>list(ObjectType.INSTANCE_IP).stream()
                .map(s -> s.object())
                .filter(InstanceIp::serviceIp)
                .map(ip -> ip.fqName() + " " + ip.address()))
        .containsExactlyInAnyOrder(
            "k8s__default__web__vip 10.96.0.40", "k8s__default__web__vip__v6 fd00:10:96::40");
    assertThat(
            cluster.store.cache().<LoadbalancerMember>list(ObjectType.LOADBALANCER_MEMBER).stream()
                .map(s -> s.object())
                .map(m -> m.address() + " " + m.virtualMachineInterface().to().name()))
        .containsExactlyInAnyOrder(
            ips.get(0) + " k8s__default__dual", ips.get(1) + " k8s__default__dual");
  }
}
