package dev.weft.api;

import static dev.weft.api.ApiHarness.json;
import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.weft.api.ApiHarness.Response;
import dev.weft.model.FqName;
import dev.weft.model.IpamLink;
import dev.weft.model.NetworkIpam;
import dev.weft.model.NetworkPolicy;
import dev.weft.model.ObjectType;
import dev.weft.model.Owner;
import dev.weft.model.PolicyLink;
import dev.weft.model.PolicyRule;
import dev.weft.model.Project;
import dev.weft.model.Ref;
import dev.weft.model.VirtualNetwork;
import java.util.List;
import java.util.Map;
import java.util.UUID;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/**
 * Network policies attached from the policy's side ({@code spec.networks} of a NetworkPolicy
 * document), networks Weft derives from Kubernetes included, and the config API's rules for links
 * on derived networks and for deleting linked policies.
 */
class PolicyAttachmentTest {
  private static final String POD_NETWORK = "default-domain:k8s-default:k8s-default-pod-network";

  private final ApiHarness api = new ApiHarness();
  private Project project;
  private NetworkPolicy derivedPolicy;
  private VirtualNetwork podNetwork;

  @BeforeEach
  void bootstrap() {
    project = api.namespaceProject("default");
    api.namespaceProject("ns-user-1");
    NetworkIpam podIpam = api.ipam(project, "k8s-pod-ipam", List.of("10.32.0.0/12"));
    Map<String, String> cluster = Owner.cluster(ApiHarness.CLUSTER).annotations();
    FqName pod = FqName.parse(POD_NETWORK);
    FqName service = FqName.parse("default-domain:k8s-default:k8s-default-service-network");
    derivedPolicy =
        api.create(
            new NetworkPolicy(
                UUID.randomUUID(),
                project.fqName().child("k8s-default-pod-service-np"),
                Ref.to(project),
                cluster,
                List.of(PolicyRule.passBetween(pod, service))));
    podNetwork =
        api.create(
            new VirtualNetwork(
                UUID.randomUUID(),
                pod,
                Ref.to(project),
                cluster,
                List.of(new IpamLink(Ref.to(podIpam), List.of())),
                List.of(),
                List.of(new PolicyLink(Ref.to(derivedPolicy), 0))));
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

  private static UUID uuidOf(Response r) {
    return UUID.fromString(r.body().get("uuid").asText());
  }

  private Response apply(ObjectNode doc) {
    return api.post("/apply", doc);
  }

  /** Applies {@code doc}, which must succeed; returns the object's UUID. */
  private UUID applied(ObjectNode doc) {
    Response r = apply(doc);
    assertThat(r.status()).as(r.body().toString()).isIn(200, 201);
    return uuidOf(r);
  }

  private VirtualNetwork network(String fq) {
    return api.objects
        .cache()
        .<VirtualNetwork>get(ObjectType.VIRTUAL_NETWORK, FqName.parse(fq))
        .orElseThrow()
        .object();
  }

  /** {@code name@sequence} of each link of the network, in order. */
  private List<String> links(String fq) {
    return network(fq).networkPolicyRefs().stream()
        .map(l -> l.policy().to().name() + "@" + l.sequence())
        .toList();
  }

  private static String user(String name) {
    return "default-domain:k8s-default:" + name;
  }

  private long revision(String fq) {
    return api.objects
        .cache()
        .get(ObjectType.VIRTUAL_NETWORK, FqName.parse(fq))
        .orElseThrow()
        .modRevision();
  }

  // ---- weft apply of a NetworkPolicy with spec.networks ----

  @Test
  void aPolicyIsAttachedToTheNetworksItNamesDerivedOnesIncluded() {
    applied(vn("vn-left-1", "{'subnets': ['10.1.0.0/24']}"));

    Response r = apply(np("np-join", "{'networks': ['vn-left-1', '" + POD_NETWORK + "']}"));

    assertThat(r.status()).as(r.body().toString()).isEqualTo(201);
    assertThat(r.body().get("result").asText()).isEqualTo("created");
    assertThat(links(user("vn-left-1"))).containsExactly("np-join@0");
    assertThat(links(POD_NETWORK)).containsExactly("k8s-default-pod-service-np@0", "np-join@0");
    assertThat(network(POD_NETWORK).networkPolicyRefs().get(1).policy().uuid())
        .isEqualTo(uuidOf(r));
    // The rest of the derived network is the kube-manager's and stays as it was.
    assertThat(network(POD_NETWORK).withPolicies(podNetwork.networkPolicyRefs()))
        .isEqualTo(podNetwork);
  }

  @Test
  void reapplyingTheSameDocumentChangesNothing() {
    applied(vn("vn-left-1", "{}"));
    ObjectNode doc = np("np-join", "{'networks': ['vn-left-1', '" + POD_NETWORK + "']}");
    applied(doc);
    long revision = revision(POD_NETWORK);

    Response again = apply(doc);

    assertThat(again.body().get("result").asText()).isEqualTo("unchanged");
    assertThat(revision(POD_NETWORK)).isEqualTo(revision);
  }

  @Test
  void networksInOtherProjectsAreNamedDomainProjectName() {
    api.post(
        "/apply",
        json(
            "{'apiVersion': 'weft/v1', 'kind': 'VirtualNetwork', 'metadata': {'name': 'vn-right-1',"
                + " 'project': 'k8s-ns-user-1'}}"));

    applied(np("np-join", "{'networks': ['default-domain:k8s-ns-user-1:vn-right-1']}"));

    assertThat(links("default-domain:k8s-ns-user-1:vn-right-1")).containsExactly("np-join@0");
  }

  @Test
  void aNetworkNoLongerNamedLosesOnlyItsLinkToThisPolicy() {
    applied(np("np-other", "{}"));
    applied(vn("vn-left-1", "{'networkPolicies': ['np-other']}"));
    applied(np("np-join", "{'networks': ['vn-left-1', '" + POD_NETWORK + "']}"));

    Response r = apply(np("np-join", "{'networks': ['vn-left-1']}"));

    assertThat(r.body().get("result").asText()).isEqualTo("replaced");
    assertThat(links(user("vn-left-1"))).containsExactly("np-other@0", "np-join@0");
    assertThat(links(POD_NETWORK)).containsExactly("k8s-default-pod-service-np@0");
  }

  @Test
  void anEmptyListDetachesThePolicyEverywhere() {
    applied(vn("vn-left-1", "{}"));
    applied(np("np-join", "{'networks': ['vn-left-1', '" + POD_NETWORK + "']}"));

    applied(np("np-join", "{'networks': []}"));

    assertThat(links(user("vn-left-1"))).isEmpty();
    assertThat(links(POD_NETWORK)).containsExactly("k8s-default-pod-service-np@0");
  }

  @Test
  void withoutSpecNetworksAPolicyKeepsTheLinksItHas() {
    applied(np("np-1", "{}"));
    applied(vn("vn-left-1", "{'networkPolicies': ['np-1']}"));

    Response r = apply(np("np-1", "{'rules': [{'action': 'deny'}]}"));

    assertThat(r.body().get("result").asText()).isEqualTo("replaced");
    assertThat(links(user("vn-left-1"))).containsExactly("np-1@0");
  }

  @Test
  void theSequenceIsSetOnEveryLinkAndFollowsTheDocument() {
    applied(vn("vn-left-1", "{}"));
    applied(np("np-join", "{'networks': ['vn-left-1', '" + POD_NETWORK + "'], 'sequence': 7}"));
    assertThat(links(user("vn-left-1"))).containsExactly("np-join@7");
    assertThat(links(POD_NETWORK)).containsExactly("k8s-default-pod-service-np@0", "np-join@7");

    applied(np("np-join", "{'networks': ['vn-left-1', '" + POD_NETWORK + "'], 'sequence': 2}"));

    assertThat(links(user("vn-left-1"))).containsExactly("np-join@2");
    assertThat(links(POD_NETWORK)).containsExactly("k8s-default-pod-service-np@0", "np-join@2");
  }

  @Test
  void aMissingNetworkIsA404NamingItAndNothingIsWritten() {
    applied(vn("vn-left-1", "{}"));
    long revision = api.objects.cache().revision();

    Response r = apply(np("np-join", "{'networks': ['vn-left-1', 'vn-x']}"));

    assertThat(r.status()).isEqualTo(404);
    assertThat(r.error())
        .isEqualTo(
            "virtual network default-domain:k8s-default:vn-x (spec.networks[1]) does not exist;"
                + " apply it before the policies that attach to it, or remove it from"
                + " spec.networks");
    assertThat(api.objects.cache().revision()).isEqualTo(revision);
    assertThat(api.objects.cache().get(ObjectType.NETWORK_POLICY, FqName.parse(user("np-join"))))
        .isEmpty();
    assertThat(links(user("vn-left-1"))).isEmpty();
  }

  @Test
  void aMissingNetworkLeavesAnExistingPolicyAsItWas() {
    applied(vn("vn-left-1", "{}"));
    UUID uuid = applied(np("np-join", "{'networks': ['vn-left-1']}"));

    Response r =
        apply(
            np("np-join", "{'rules': [{'action': 'deny'}], 'networks': ['" + user("vn-x") + "']}"));

    assertThat(r.status()).isEqualTo(404);
    assertThat(r.error()).startsWith("virtual network default-domain:k8s-default:vn-x");
    NetworkPolicy stored = api.stored(ObjectType.NETWORK_POLICY, uuid);
    assertThat(stored.rules()).isEmpty();
    assertThat(links(user("vn-left-1"))).containsExactly("np-join@0");
  }

  @Test
  void badNetworkNamesAreRejectedWithTheirPath() {
    Response number = apply(np("np-1", "{'networks': [42]}"));
    Response shape = apply(np("np-1", "{'networks': ['k8s-default:vn-1']}"));
    Response mapping = apply(np("np-1", "{'networks': {'name': 'vn-1'}}"));
    Response twice = apply(np("np-1", "{'networks': ['vn-1', 'default-domain:k8s-default:vn-1']}"));

    assertThat(number.status()).isEqualTo(400);
    assertThat(number.error())
        .isEqualTo("spec.networks[0]: expected a virtual network name as a string, found 42");
    assertThat(shape.status()).isEqualTo(400);
    assertThat(shape.error())
        .isEqualTo(
            "spec.networks[0]: \"k8s-default:vn-1\" is neither a name in this project nor"
                + " domain:project:name");
    assertThat(mapping.status()).isEqualTo(400);
    assertThat(mapping.error()).startsWith("spec.networks must be a list, found object");
    assertThat(twice.status()).isEqualTo(400);
    assertThat(twice.error())
        .isEqualTo(
            "spec.networks[1]: network default-domain:k8s-default:vn-1 is already named at"
                + " spec.networks[0]");
  }

  @Test
  void badSequencesAreRejected() {
    applied(vn("vn-1", "{}"));

    Response negative = apply(np("np-1", "{'networks': ['vn-1'], 'sequence': -1}"));
    Response text = apply(np("np-1", "{'networks': ['vn-1'], 'sequence': '1'}"));
    Response fraction = apply(np("np-1", "{'networks': ['vn-1'], 'sequence': 1.5}"));
    Response huge = apply(np("np-1", "{'networks': ['vn-1'], 'sequence': 4294967296}"));
    Response alone = apply(np("np-1", "{'sequence': 1}"));

    for (Response r : List.of(negative, text, fraction, huge)) {
      assertThat(r.status()).isEqualTo(400);
      assertThat(r.error()).startsWith("spec.sequence must be a whole number from 0 to 2147483647");
    }
    assertThat(text.error()).endsWith("found string \"1\"");
    assertThat(alone.status()).isEqualTo(400);
    assertThat(alone.error())
        .isEqualTo(
            "spec.sequence is the sequence of the links spec.networks makes; add spec.networks"
                + " (the networks this policy is attached to) or remove spec.sequence");
    assertThat(api.objects.cache().count(ObjectType.NETWORK_POLICY)).isEqualTo(1);
  }

  @Test
  void unknownPolicySpecFieldsListTheNewOnes() {
    Response r = apply(np("np-1", "{'network': ['vn-1']}"));

    assertThat(r.status()).isEqualTo(400);
    assertThat(r.error())
        .isEqualTo("unknown field \"spec.network\"; expected one of: networks, rules, sequence");
  }

  @Test
  void aPolicyWeftDerivesCannotBeAttachedFromItsSide() {
    Response r = apply(np("k8s-default-pod-service-np", "{'networks': ['" + POD_NETWORK + "']}"));

    assertThat(r.status()).isEqualTo(409);
    assertThat(r.error())
        .isEqualTo(
            "network policy default-domain:k8s-default:k8s-default-pod-service-np is managed by"
                + " Weft from Kubernetes Cluster k8s; change the Kubernetes object instead");
  }

  // ---- the other side: VirtualNetwork documents ----

  @Test
  void aVirtualNetworkDocumentsPoliciesAreTheCompleteListOfItsLinks() {
    applied(np("np-2", "{}"));
    applied(vn("vn-left-1", "{}"));
    applied(np("np-join", "{'networks': ['vn-left-1']}"));

    applied(vn("vn-left-1", "{'networkPolicies': ['np-2']}"));

    assertThat(links(user("vn-left-1"))).containsExactly("np-2@0");
  }

  @Test
  void aVirtualNetworkDocumentStillCannotReplaceADerivedNetwork() {
    applied(np("np-join", "{}"));

    Response r = apply(vn("k8s-default-pod-network", "{'networkPolicies': ['np-join']}"));

    assertThat(r.status()).isEqualTo(409);
    assertThat(r.error()).contains("is managed by Weft from Kubernetes Cluster k8s");
  }

  // ---- weft delete of a NetworkPolicy ----

  @Test
  void deletingAPolicyDocumentUnlinksItFromEveryNetworkInOneTransaction() {
    applied(np("np-other", "{}"));
    applied(vn("vn-left-1", "{'networkPolicies': ['np-other']}"));
    UUID uuid = applied(np("np-join", "{'networks': ['vn-left-1', '" + POD_NETWORK + "']}"));
    long before = api.objects.cache().revision();

    Response r = api.post("/delete", np("np-join", "{}"));

    assertThat(r.status()).as(r.body().toString()).isEqualTo(200);
    assertThat(r.body().get("result").asText()).isEqualTo("deleted");
    assertThat(uuidOf(r)).isEqualTo(uuid);
    assertThat(api.objects.cache().get(ObjectType.NETWORK_POLICY, uuid)).isEmpty();
    assertThat(links(user("vn-left-1"))).containsExactly("np-other@0");
    assertThat(links(POD_NETWORK)).containsExactly("k8s-default-pod-service-np@0");
    // One commit: the networks and the policy changed at the same revision.
    assertThat(api.objects.cache().revision()).isEqualTo(before + 1);
  }

  @Test
  void deletingADerivedPolicyDocumentIsStillAConflict() {
    Response r = api.post("/delete", np("k8s-default-pod-service-np", "{}"));

    assertThat(r.status()).isEqualTo(409);
    assertThat(r.error()).contains("is managed by Weft from Kubernetes Cluster k8s");
    assertThat(links(POD_NETWORK)).containsExactly("k8s-default-pod-service-np@0");
  }

  // ---- the config API ----

  @Test
  void deletingALinkedPolicyThroughTheConfigApiIsAConflictNamingTheNetworks() {
    applied(vn("vn-left-1", "{}"));
    UUID uuid = applied(np("np-join", "{'networks': ['vn-left-1', '" + POD_NETWORK + "']}"));

    Response r = api.delete("/network-policy/" + uuid);

    assertThat(r.status()).isEqualTo(409);
    assertThat(r.error())
        .isEqualTo(
            "network policy default-domain:k8s-default:np-join is in use by 2 virtual networks:"
                + " default-domain:k8s-default:k8s-default-pod-network,"
                + " default-domain:k8s-default:vn-left-1");
    assertThat(api.objects.cache().get(ObjectType.NETWORK_POLICY, uuid)).isPresent();
  }

  /** The derived pod network as GET shows it, with {@code policies} as its links (sequence i). */
  private ObjectNode podNetworkWithLinks(UUID... policies) {
    ObjectNode[] links = new ObjectNode[policies.length];
    for (int i = 0; i < policies.length; i++) {
      links[i] = link(policies[i], i);
    }
    return podNetworkWith(links);
  }

  private static ObjectNode link(UUID policy, int sequence) {
    return json(
        "{'policy': {'type': 'network-policy', 'uuid': '"
            + policy
            + "'}, 'sequence': "
            + sequence
            + "}");
  }

  private ObjectNode podNetworkWith(ObjectNode... links) {
    ObjectNode body = (ObjectNode) api.get("/virtual-network/" + podNetwork.uuid()).body();
    ArrayNode array = ApiHarness.JSON.createArrayNode();
    for (ObjectNode l : links) {
      array.add(l);
    }
    ((ObjectNode) body.get("virtual-network")).set("network_policy_refs", array);
    return body;
  }

  @Test
  void aPutOfADerivedNetworkThatOnlyChangesLinksToUserPoliciesIsAccepted() {
    UUID mine = applied(np("np-join", "{}"));

    Response attach =
        api.put(
            "/virtual-network/" + podNetwork.uuid(),
            podNetworkWithLinks(derivedPolicy.uuid(), mine));
    List<String> attached = links(POD_NETWORK);
    Response detach =
        api.put("/virtual-network/" + podNetwork.uuid(), podNetworkWithLinks(derivedPolicy.uuid()));

    assertThat(attach.status()).as(attach.body().toString()).isEqualTo(200);
    assertThat(attached).containsExactly("k8s-default-pod-service-np@0", "np-join@1");
    assertThat(detach.status()).as(detach.body().toString()).isEqualTo(200);
    assertThat(links(POD_NETWORK)).containsExactly("k8s-default-pod-service-np@0");
    assertThat(network(POD_NETWORK)).isEqualTo(podNetwork);
  }

  @Test
  void userLinksOnADerivedNetworkAreStoredAfterTheDerivedOnes() {
    UUID mine = applied(np("np-join", "{}"));

    Response r =
        api.put(
            "/virtual-network/" + podNetwork.uuid(),
            podNetworkWith(link(mine, 0), link(derivedPolicy.uuid(), 0)));

    assertThat(r.status()).as(r.body().toString()).isEqualTo(200);
    assertThat(links(POD_NETWORK)).containsExactly("k8s-default-pod-service-np@0", "np-join@0");
  }

  @Test
  void aPutOfADerivedNetworkChangingAnythingElseIsStillAConflict() {
    UUID mine = applied(np("np-join", "{}"));
    ObjectNode body = podNetworkWithLinks(derivedPolicy.uuid(), mine);
    ((ObjectNode) body.get("virtual-network")).set("route_targets", json("['target:64512:100']"));

    Response r = api.put("/virtual-network/" + podNetwork.uuid(), body);

    assertThat(r.status()).isEqualTo(409);
    assertThat(r.error())
        .isEqualTo(
            "virtual network "
                + POD_NETWORK
                + " is managed by Weft from Kubernetes Cluster k8s; change the Kubernetes object"
                + " instead; only its links to your own network policies (network_policy_refs)"
                + " can change here, but this request also changes route_targets");
    assertThat(network(POD_NETWORK)).isEqualTo(podNetwork);
  }

  @Test
  void aPutOfADerivedNetworkWithoutLinkChangesGivesThePlainConflict() {
    ObjectNode body = podNetworkWithLinks(derivedPolicy.uuid());
    ((ObjectNode) body.get("virtual-network")).set("annotations", json("{}"));

    Response r = api.put("/virtual-network/" + podNetwork.uuid(), body);

    assertThat(r.status()).isEqualTo(409);
    assertThat(r.error())
        .isEqualTo(
            "virtual network "
                + POD_NETWORK
                + " is managed by Weft from Kubernetes Cluster k8s; change the Kubernetes object"
                + " instead");
  }

  @Test
  void linksToDerivedPoliciesOnADerivedNetworkCannotChange() {
    NetworkPolicy otherDerived =
        api.create(
            new NetworkPolicy(
                UUID.randomUUID(),
                project.fqName().child("k8s-other-np"),
                Ref.to(project),
                Owner.namespace(ApiHarness.CLUSTER, "other", "uid-1").annotations(),
                List.of()));

    Response dropped = api.put("/virtual-network/" + podNetwork.uuid(), podNetworkWithLinks());
    Response added =
        api.put(
            "/virtual-network/" + podNetwork.uuid(),
            podNetworkWithLinks(derivedPolicy.uuid(), otherDerived.uuid()));

    assertThat(dropped.status()).isEqualTo(409);
    assertThat(dropped.error())
        .endsWith(
            "but this request also changes its links to network policies Weft derives"
                + " (default-domain:k8s-default:k8s-default-pod-service-np)");
    assertThat(added.status()).isEqualTo(409);
    assertThat(added.error()).endsWith("(default-domain:k8s-default:k8s-other-np)");
    assertThat(network(POD_NETWORK)).isEqualTo(podNetwork);
  }

  @Test
  void aPutOfADerivedNetworkLinkingAMissingPolicyIsA404() {
    Response r =
        api.put(
            "/virtual-network/" + podNetwork.uuid(),
            podNetworkWith(
                link(derivedPolicy.uuid(), 0),
                json(
                    "{'policy': {'type': 'network-policy', 'to': ['default-domain', 'k8s-default',"
                        + " 'np-x']}, 'sequence': 1}")));

    assertThat(r.status()).isEqualTo(404);
    assertThat(r.error())
        .isEqualTo(
            "network_policy_refs[1].policy: network policy default-domain:k8s-default:np-x does"
                + " not exist");
    assertThat(network(POD_NETWORK)).isEqualTo(podNetwork);
  }

  @Test
  void aPutOfADerivedNetworkLinkingAPolicyTwiceIsRejected() {
    UUID mine = applied(np("np-join", "{}"));

    Response r =
        api.put(
            "/virtual-network/" + podNetwork.uuid(),
            podNetworkWithLinks(derivedPolicy.uuid(), mine, mine));

    assertThat(r.status()).isEqualTo(400);
    assertThat(r.error())
        .isEqualTo(
            "virtual network "
                + POD_NETWORK
                + ": network policy default-domain:k8s-default:np-join is attached twice");
  }

  @Test
  void aDerivedNetworkStillCannotBeDeleted() {
    Response r = api.delete("/virtual-network/" + podNetwork.uuid());

    assertThat(r.status()).isEqualTo(409);
    assertThat(r.error()).contains("is managed by Weft from Kubernetes Cluster k8s");
  }
}
