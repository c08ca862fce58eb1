package dev.weft.api;

import static dev.weft.api.ApiHarness.json;
import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.weft.api.ApiHarness.Response;
import dev.weft.model.Action;
import dev.weft.model.FloatingIpPool;
import dev.weft.model.FqName;
import dev.weft.model.NetworkPolicy;
import dev.weft.model.ObjectType;
import dev.weft.model.PolicyRule;
import dev.weft.model.PortRange;
import dev.weft.model.Protocol;
import dev.weft.model.VirtualNetwork;
import java.util.List;
import java.util.Map;
import java.util.UUID;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

class ApplyEndpointsTest {
  private final ApiHarness api = new ApiHarness();

  @BeforeEach
  void namespaces() {
    api.namespaceProject("default");
    api.namespaceProject("ns-user-1");
  }

  @AfterEach
  void close() {
    api.close();
  }

  private static ObjectNode vn(String name, String spec) {
    return json(
        "{'apiVersion': 'weft/v1', 'kind': 'VirtualNetwork', 'metadata': {'name': '"
            + name
            + "', 'project': 'k8s-default'}, 'spec': "
            + spec
            + "}");
  }

  private static ObjectNode np(String name, String spec) {
    return json(
        "{'apiVersion': 'weft/v1', 'kind': 'NetworkPolicy', 'metadata': {'name': '"
            + name
            + "', 'project': 'k8s-default'}, 'spec': "
            + spec
            + "}");
  }

  private UUID uuidOf(Response r) {
    return UUID.fromString(r.body().get("uuid").asText());
  }

  @Test
  void virtualNetworkIsCreatedThenUnchangedThenReplacedKeepingItsUuid() {
    ObjectNode doc =
        vn("vn-left-1", "{'subnets': ['10.200.1.0/24'], 'routeTargets': ['target:64512:100']}");

    Response created = api.post("/apply", doc);
    Response again = api.post("/apply", doc);
    Response replaced =
        api.post(
            "/apply",
            vn("vn-left-1", "{'subnets': [{'cidr': '10.200.1.0/24', 'gateway': '10.200.1.254'}]}"));

    assertThat(created.status()).as(created.body().toString()).isEqualTo(201);
    assertThat(created.body().get("result").asText()).isEqualTo("created");
    assertThat(created.body().get("type").asText()).isEqualTo("virtual-network");
    assertThat(created.body().get("fq_name").toString())
        .isEqualTo("[\"default-domain\",\"k8s-default\",\"vn-left-1\"]");
    assertThat(again.status()).isEqualTo(200);
    assertThat(again.body().get("result").asText()).isEqualTo("unchanged");
    assertThat(replaced.body().get("result").asText()).isEqualTo("replaced");
    assertThat(uuidOf(again)).isEqualTo(uuidOf(created));
    assertThat(uuidOf(replaced)).isEqualTo(uuidOf(created));
    VirtualNetwork stored = api.stored(ObjectType.VIRTUAL_NETWORK, uuidOf(created));
    assertThat(stored.ownSubnets().get(0).gateway()).isEqualTo("10.200.1.254");
    assertThat(stored.routeTargets()).isEmpty();
  }

  @Test
  void userSubnetsLinkToTheDefaultIpamWhichIsCreatedWhenMissing() {
    Response r = api.post("/apply", vn("vn-1", "{'subnets': ['10.1.0.0/24']}"));

    VirtualNetwork stored = api.stored(ObjectType.VIRTUAL_NETWORK, uuidOf(r));
    assertThat(stored.networkIpamRefs()).hasSize(1);
    assertThat(stored.networkIpamRefs().get(0).ipam().to())
        .isEqualTo(FqName.of("default-domain", "default-project", "default-network-ipam"));
    assertThat(
            api.objects
                .cache()
                .get(ObjectType.PROJECT, FqName.of("default-domain", "default-project")))
        .isPresent();
    assertThat(
            api.post("/apply", vn("vn-2", "{'subnets': ['10.2.0.0/24']}"))
                .body()
                .get("result")
                .asText())
        .isEqualTo("created");
    assertThat(api.objects.cache().count(ObjectType.NETWORK_IPAM)).isEqualTo(1);
  }

  @Test
  void networkPoliciesNameNetworksInTheSameProjectByShortName() {
    Response policy =
        api.post(
            "/apply",
            np(
                "np-1",
                "{'rules': [{'action': 'pass', 'direction': '<>', 'protocol': 'tcp', 'source':"
                    + " {'network': 'vn-left-1'}, 'sourcePorts': ['any'], 'destination': {'network':"
                    + " 'default-domain:k8s-ns-user-1:vn-right-1'}, 'destinationPorts': [80,"
                    + " '1000-2000']}, {'action': 'deny', 'source': 'any', 'destination': {'subnet':"
                    + " '10.9.0.0/16'}}]}"));
    Response network =
        api.post(
            "/apply", vn("vn-left-1", "{'subnets': ['10.1.0.0/24'], 'networkPolicies': ['np-1']}"));

    assertThat(policy.status()).as(policy.body().toString()).isEqualTo(201);
    assertThat(network.status()).as(network.body().toString()).isEqualTo(201);
    NetworkPolicy stored = api.stored(ObjectType.NETWORK_POLICY, uuidOf(policy));
    PolicyRule first = stored.rules().get(0);
    assertThat(first.action()).isEqualTo(Action.PASS);
    assertThat(first.protocol()).isEqualTo(Protocol.TCP);
    assertThat(first.source().virtualNetwork())
        .isEqualTo(FqName.of("default-domain", "k8s-default", "vn-left-1"));
    assertThat(first.destination().virtualNetwork())
        .isEqualTo(FqName.of("default-domain", "k8s-ns-user-1", "vn-right-1"));
    assertThat(first.destinationPorts())
        .containsExactly(PortRange.of(80), new PortRange(1000, 2000));
    assertThat(stored.rules().get(1).action()).isEqualTo(Action.DENY);
    assertThat(stored.rules().get(1).source().isAny()).isTrue();
    VirtualNetwork vn = api.stored(ObjectType.VIRTUAL_NETWORK, uuidOf(network));
    assertThat(vn.networkPolicyRefs().get(0).policy().uuid()).isEqualTo(uuidOf(policy));
  }

  @Test
  void floatingIpPoolLivesUnderItsNetwork() {
    api.post(
        "/apply",
        json(
            "{'apiVersion': 'weft/v1', 'kind': 'VirtualNetwork', 'metadata': {'name':"
                + " 'vn-public-1', 'project': 'k8s-ns-user-1'}, 'spec': {'subnets':"
                + " ['203.0.113.0/24']}}"));
    ObjectNode pool =
        json(
            "{'apiVersion': 'weft/v1', 'kind': 'FloatingIpPool', 'metadata': {'name': 'pool-1',"
                + " 'project': 'k8s-ns-user-1', 'network': 'vn-public-1'}, 'spec': {'subnets':"
                + " ['203.0.113.128/25']}}");

    Response created = api.post("/apply", pool);
    Response again = api.post("/apply", pool);

    assertThat(created.status()).as(created.body().toString()).isEqualTo(201);
    assertThat(created.body().get("fq_name").toString())
        .isEqualTo("[\"default-domain\",\"k8s-ns-user-1\",\"vn-public-1\",\"pool-1\"]");
    assertThat(again.body().get("result").asText()).isEqualTo("unchanged");
    FloatingIpPool stored = api.stored(ObjectType.FLOATING_IP_POOL, uuidOf(created));
    assertThat(stored.subnets().get(0).toString()).isEqualTo("203.0.113.128/25");
  }

  @Test
  void deleteRemovesTheObjectThenReportsNotFound() {
    ObjectNode doc = vn("vn-1", "{'subnets': ['10.1.0.0/24']}");
    UUID uuid = uuidOf(api.post("/apply", doc));

    Response deleted = api.post("/delete", doc);
    Response again = api.post("/delete", doc);

    assertThat(deleted.status()).isEqualTo(200);
    assertThat(deleted.body().get("result").asText()).isEqualTo("deleted");
    assertThat(uuidOf(deleted)).isEqualTo(uuid);
    assertThat(again.body().get("result").asText()).isEqualTo("not found");
    assertThat(again.body().get("uuid").isNull()).isTrue();
    assertThat(api.objects.cache().get(ObjectType.VIRTUAL_NETWORK, uuid)).isEmpty();
  }

  @Test
  void deletingAPolicyDocumentDetachesItFromTheNetworksThatAttachIt() {
    api.post("/apply", np("np-1", "{'rules': []}"));
    UUID network = uuidOf(api.post("/apply", vn("vn-1", "{'networkPolicies': ['np-1']}")));

    Response r = api.post("/delete", np("np-1", "{}"));

    assertThat(r.status()).as(r.body().toString()).isEqualTo(200);
    assertThat(r.body().get("result").asText()).isEqualTo("deleted");
    VirtualNetwork vn = api.stored(ObjectType.VIRTUAL_NETWORK, network);
    assertThat(vn.networkPolicyRefs()).isEmpty();
  }

  @Test
  void applyingIntoAMissingProjectNamesItAndTheExistingOnes() {
    Response r =
        api.post(
            "/apply",
            json(
                "{'apiVersion': 'weft/v1', 'kind': 'VirtualNetwork', 'metadata': {'name': 'vn-1',"
                    + " 'project': 'k8s-nope'}}"));

    assertThat(r.status()).isEqualTo(404);
    assertThat(r.error())
        .startsWith("project default-domain:k8s-nope (metadata.project) does not exist")
        .contains("existing projects: default-domain:k8s-default, default-domain:k8s-ns-user-1");
  }

  @Test
  void unknownKindListsTheKinds() {
    Response r =
        api.post(
            "/apply",
            json("{'apiVersion': 'weft/v1', 'kind': 'Router', 'metadata': {'name': 'r'}}"));

    assertThat(r.status()).isEqualTo(400);
    assertThat(r.error())
        .isEqualTo(
            "kind \"Router\" is not a Weft kind; weft/v1 kinds are VirtualNetwork, NetworkPolicy,"
                + " FloatingIpPool");
  }

  @Test
  void kubernetesObjectsAreSentToTheCluster() {
    Response r =
        api.post("/apply", json("{'apiVersion': 'v1', 'kind': 'Pod', 'metadata': {'name': 'p'}}"));

    assertThat(r.status()).isEqualTo(400);
    assertThat(r.error()).contains("Kubernetes objects go to the cluster (POST /k8s/apply)");
  }

  @Test
  void unknownSpecFieldsAreNamedWithTheirPath() {
    Response r =
        api.post("/apply", np("np-1", "{'rules': [{'action': 'pass', 'sourcePort': [80]}]}"));

    assertThat(r.status()).isEqualTo(400);
    assertThat(r.error())
        .startsWith("unknown field \"spec.rules[0].sourcePort\"; expected one of: action,");
  }

  @Test
  void badValuesAreNamedWithTheirPath() {
    Response cidr = api.post("/apply", vn("vn-1", "{'subnets': ['10.1.0.0/33']}"));
    Response port =
        api.post(
            "/apply", np("np-1", "{'rules': [{'action': 'pass', 'destinationPorts': ['80-70']}]}"));
    Response overlap =
        api.post("/apply", vn("vn-1", "{'subnets': ['10.1.0.0/24', '10.1.0.0/25']}"));
    Response routeTarget = api.post("/apply", vn("vn-1", "{'routeTargets': ['64512:1']}"));

    assertThat(cidr.status()).isEqualTo(400);
    assertThat(cidr.error()).startsWith("spec.subnets[0]: ");
    assertThat(port.status()).isEqualTo(400);
    assertThat(port.error()).startsWith("spec.rules[0].destinationPorts[0]: port range 80-70");
    assertThat(overlap.status()).isEqualTo(400);
    assertThat(overlap.error()).contains("subnets 10.1.0.0/24 and 10.1.0.0/25 overlap");
    assertThat(routeTarget.status()).isEqualTo(400);
    assertThat(routeTarget.error()).startsWith("spec.routeTargets[0]: route target \"64512:1\"");
  }

  @Test
  void missingPolicyIsA404AskingToApplyItFirst() {
    Response r = api.post("/apply", vn("vn-1", "{'networkPolicies': ['np-x']}"));

    assertThat(r.status()).isEqualTo(404);
    assertThat(r.error())
        .isEqualTo(
            "network policy default-domain:k8s-default:np-x (spec.networkPolicies) does not"
                + " exist; apply it before the networks that attach it");
  }

  @Test
  void poolOnAMissingNetworkIsA404() {
    Response r =
        api.post(
            "/apply",
            json(
                "{'apiVersion': 'weft/v1', 'kind': 'FloatingIpPool', 'metadata': {'name': 'pool-1',"
                    + " 'project': 'k8s-default', 'network': 'vn-x'}}"));

    assertThat(r.status()).isEqualTo(404);
    assertThat(r.error())
        .isEqualTo(
            "virtual network default-domain:k8s-default:vn-x (metadata.network) does not exist");
  }

  @Test
  void applyingOverAnObjectDerivedFromKubernetesIsAConflict() {
    var project =
        api.objects
            .cache()
            .<dev.weft.model.Project>get(ObjectType.PROJECT, ApiHarness.DEFAULT_PROJECT)
            .orElseThrow()
            .object();
    var ipam = api.ipam(project, "k8s-pod-ipam", List.of("10.32.0.0/12"));
    api.derivedNetwork(project, "k8s-default-pod-network", ipam, "default");

    Response r = api.post("/apply", vn("k8s-default-pod-network", "{}"));

    assertThat(r.status()).isEqualTo(409);
    assertThat(r.error())
        .contains("is managed by Weft from Kubernetes Namespace default; change the Kubernetes");
  }

  @Test
  void annotationsMissingFromTheDocumentAreRemoved() {
    ObjectNode annotated =
        json(
            "{'apiVersion': 'weft/v1', 'kind': 'NetworkPolicy', 'metadata': {'name': 'np-1',"
                + " 'project': 'k8s-default', 'annotations': {'team': 'blue'}}}");
    UUID uuid = uuidOf(api.post("/apply", annotated));

    api.post("/apply", np("np-1", "{}"));

    NetworkPolicy stored = api.stored(ObjectType.NETWORK_POLICY, uuid);
    assertThat(stored.annotations()).isEqualTo(Map.of());
  }
}
