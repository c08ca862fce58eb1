package dev.weft.api;

import static dev.weft.api.ApiHarness.json;
import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.weft.api.ApiHarness.Response;
import dev.weft.model.FloatingIp;
import dev.weft.model.NetworkIpam;
import dev.weft.model.NetworkPolicy;
import dev.weft.model.ObjectType;
import dev.weft.model.Project;
import dev.weft.model.VirtualNetwork;
import dev.weft.store.ipam.Ipam;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.UUID;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

class WriteEndpointsTest {
  private final ApiHarness api = new ApiHarness();
  private Project project;
  private NetworkIpam ipam;

  @BeforeEach
  void bootstrap() {
    project = api.namespaceProject("default");
    Project defaultProject =
        api.project(
            dev.weft.model.FqName.of("default-domain", "default-project"),
            dev.weft.model.Owner.cluster("k8s").annotations());
    ipam = api.ipam(defaultProject, "default-network-ipam", List.of());
  }

  @AfterEach
  void close() {
    api.close();
  }

  private ObjectNode network(String name, String... subnets) {
    StringBuilder s = new StringBuilder();
    for (String cidr : subnets) {
      s.append(s.length() == 0 ? "" : ", ").append("{'prefix': '").append(cidr).append("'}");
    }
    return json(
        "{'virtual-network': {'fq_name': ['default-domain', 'k8s-default', '"
            + name
            + "'], 'network_ipam_refs': [{'ipam': {'type': 'network-ipam', 'to':"
            + " ['default-domain', 'default-project', 'default-network-ipam']}, 'subnets': ["
            + s
            + "]}], 'route_targets': ['target:64512:100']}}");
  }

  private UUID createNetwork(String name, String... subnets) {
    Response r = api.post("/virtual-networks", network(name, subnets));
    assertThat(r.status()).as(r.body().toString()).isEqualTo(201);
    return UUID.fromString(r.body().get("virtual-network").get("uuid").asText());
  }

  @Test
  void createsAVirtualNetworkWithGeneratedUuidAndParentFromItsName() {
    Response r = api.post("/virtual-networks", network("vn-left-1", "10.200.1.0/24"));

    assertThat(r.status()).isEqualTo(201);
    JsonNode vn = r.body().get("virtual-network");
    UUID uuid = UUID.fromString(vn.get("uuid").asText());
    assertThat(r.header("Location")).isEqualTo(api.url("/virtual-network/" + uuid));
    VirtualNetwork stored = api.stored(ObjectType.VIRTUAL_NETWORK, uuid);
    assertThat(stored.parent().uuid()).isEqualTo(project.uuid());
    assertThat(stored.networkIpamRefs().get(0).ipam().uuid()).isEqualTo(ipam.uuid());
    assertThat(stored.ownSubnets().get(0).gateway()).isEqualTo("10.200.1.1");
    assertThat(api.get("/virtual-network/" + uuid).status()).isEqualTo(200);
  }

  @Test
  void createKeepsAGivenUuid() {
    UUID uuid = UUID.randomUUID();
    ObjectNode body = network("vn-1", "10.1.0.0/24");
    ((ObjectNode) body.get("virtual-network")).put("uuid", uuid.toString());

    Response r = api.post("/virtual-networks", body);

    assertThat(r.status()).isEqualTo(201);
    assertThat(r.body().get("virtual-network").get("uuid").asText()).isEqualTo(uuid.toString());
  }

  @Test
  void creatingATakenNameIsAConflict() {
    UUID first = createNetwork("vn-1", "10.1.0.0/24");

    Response r = api.post("/virtual-networks", network("vn-1", "10.2.0.0/24"));

    assertThat(r.status()).isEqualTo(409);
    assertThat(r.error())
        .isEqualTo(
            "virtual network default-domain:k8s-default:vn-1 already exists (uuid "
                + first
                + "); change it with PUT /virtual-network/"
                + first);
  }

  @Test
  void replacesAndKeepsTheUuid() {
    UUID uuid = createNetwork("vn-1", "10.1.0.0/24");
    ObjectNode body = network("vn-1", "10.1.0.0/24", "10.9.0.0/16");
    ((ObjectNode) body.get("virtual-network")).putArray("route_targets").add("target:64512:200");

    Response r = api.put("/virtual-network/" + uuid, body);

    assertThat(r.status()).as(r.body().toString()).isEqualTo(200);
    VirtualNetwork stored = api.stored(ObjectType.VIRTUAL_NETWORK, uuid);
    assertThat(stored.routeTargets()).containsExactly("target:64512:200");
    assertThat(stored.ownSubnets()).hasSize(2);
  }

  @Test
  void whatGetReturnsCanBePutBack() {
    UUID uuid = createNetwork("vn-1", "10.1.0.0/24");
    Response policy =
        api.post(
            "/network-policys",
            json(
                "{'network-policy': {'fq_name': ['default-domain', 'k8s-default', 'np-1'], 'rules':"
                    + " [{'action': 'pass', 'protocol': 'tcp', 'source': {'virtual_network':"
                    + " ['default-domain', 'k8s-default', 'vn-1']}, 'destination_ports':"
                    + " [{'start': 80, 'end': 80}]}]}}"));
    assertThat(policy.status()).as(policy.body().toString()).isEqualTo(201);
    String policyUuid = policy.body().get("network-policy").get("uuid").asText();

    Response vn = api.get("/virtual-network/" + uuid);
    Response np = api.get("/network-policy/" + policyUuid);
    Response putVn = api.put("/virtual-network/" + uuid, vn.body());
    Response putNp = api.put("/network-policy/" + policyUuid, np.body());

    assertThat(putVn.status()).as(putVn.body().toString()).isEqualTo(200);
    assertThat(putNp.status()).as(putNp.body().toString()).isEqualTo(200);
    assertThat(putVn.header("ETag")).isEqualTo(vn.header("ETag"));
  }

  @Test
  void theFqNameCannotChange() {
    UUID uuid = createNetwork("vn-1", "10.1.0.0/24");

    Response r = api.put("/virtual-network/" + uuid, network("vn-2", "10.1.0.0/24"));

    assertThat(r.status()).isEqualTo(400);
    assertThat(r.error()).contains("the FQ name of an object cannot change");
  }

  @Test
  void theTypeCannotChange() {
    UUID uuid = createNetwork("vn-1", "10.1.0.0/24");

    Response r =
        api.put(
            "/virtual-network/" + uuid,
            json("{'network-policy': {'fq_name': ['default-domain', 'k8s-default', 'vn-1']}}"));

    assertThat(r.status()).isEqualTo(400);
    assertThat(r.error()).contains("the type of an object cannot change");
  }

  @Test
  void deletesAnUnusedNetwork() {
    UUID uuid = createNetwork("vn-1", "10.1.0.0/24");

    Response r = api.delete("/virtual-network/" + uuid);

    assertThat(r.status()).isEqualTo(200);
    assertThat(r.body().get("result").asText()).isEqualTo("deleted");
    assertThat(api.get("/virtual-network/" + uuid).status()).isEqualTo(404);
    assertThat(api.delete("/virtual-network/" + uuid).status()).isEqualTo(404);
  }

  @Test
  void deletingANetworkInUseIsAConflictNamingTheUsers() {
    UUID uuid = createNetwork("vn-left-1", "10.1.0.0/24");
    VirtualNetwork vn = api.stored(ObjectType.VIRTUAL_NETWORK, uuid);
    api.podInterface(project, vn, "default", "web-1");
    api.podInterface(project, vn, "default", "web-2");

    Response r = api.delete("/virtual-network/" + uuid);

    assertThat(r.status()).isEqualTo(409);
    assertThat(r.error())
        .isEqualTo(
            "virtual network default-domain:k8s-default:vn-left-1 is in use by 2 virtual machine"
                + " interfaces: default-domain:k8s-default:k8s__default__web-1,"
                + " default-domain:k8s-default:k8s__default__web-2");
    assertThat(api.get("/virtual-network/" + uuid).status()).isEqualTo(200);
  }

  @Test
  void deletingANetworkWithAPoolIsAConflict() {
    UUID uuid = createNetwork("vn-1", "10.1.0.0/24");
    Response pool =
        api.post(
            "/floating-ip-pools",
            json(
                "{'floating-ip-pool': {'fq_name': ['default-domain', 'k8s-default', 'vn-1',"
                    + " 'pool-1']}}"));
    assertThat(pool.status()).as(pool.body().toString()).isEqualTo(201);

    Response r = api.delete("/virtual-network/" + uuid);

    assertThat(r.status()).isEqualTo(409);
    assertThat(r.error())
        .contains(
            "still has 1 floating IP pool: default-domain:k8s-default:vn-1:pool-1 (delete those"
                + " first)");
  }

  @Test
  void derivedObjectsAreReadOnlyAndNameTheirKubernetesOwner() {
    NetworkIpam podIpam = api.ipam(project, "k8s-pod-ipam", List.of("10.32.0.0/12"));
    VirtualNetwork derived =
        api.derivedNetwork(project, "k8s-default-pod-network", podIpam, "default");
    var vmi = api.podInterface(project, derived, "default", "web-1");

    Response put = api.put("/virtual-network/" + derived.uuid(), json("{'virtual-network': {}}"));
    Response delete = api.delete("/virtual-network/" + derived.uuid());
    Response deleteVmi = api.delete("/virtual-machine-interface/" + vmi.uuid());

    assertThat(put.status()).isEqualTo(409);
    assertThat(put.error())
        .isEqualTo(
            "virtual network default-domain:k8s-default:k8s-default-pod-network is managed by"
                + " Weft from Kubernetes Namespace default; change the Kubernetes object instead");
    assertThat(delete.status()).isEqualTo(409);
    assertThat(deleteVmi.status()).isEqualTo(409);
    assertThat(deleteVmi.error())
        .contains("is managed by Weft from Kubernetes Pod default/web-1; change the Kubernetes");
  }

  @Test
  void typesUsersDoNotCreateAnswer405WithTheReason() {
    Response r = api.post("/virtual-machines", json("{'virtual-machine': {'fq_name': ['vm-1']}}"));

    assertThat(r.status()).isEqualTo(405);
    assertThat(r.error())
        .isEqualTo(
            "virtual machines are created by Weft from Kubernetes objects; users create only"
                + " virtual networks, network policies, floating IP pools and floating IPs");
  }

  @Test
  void unknownFieldsAreRejectedByName() {
    ObjectNode body = network("vn-1", "10.1.0.0/24");
    ((ObjectNode) body.get("virtual-network").get("network_ipam_refs").get(0).get("subnets").get(0))
        .put("gatway", "10.1.0.1");

    Response r = api.post("/virtual-networks", body);

    assertThat(r.status()).isEqualTo(400);
    assertThat(r.error())
        .isEqualTo(
            "virtual-network: unknown field \"network_ipam_refs[0].subnets[0].gatway\"; expected"
                + " one of: gateway, prefix");
  }

  @Test
  void badCidrIsRejectedWithTheFix() {
    Response r = api.post("/virtual-networks", network("vn-1", "10.1.0.1/24"));

    assertThat(r.status()).isEqualTo(400);
    assertThat(r.error()).contains("has host bits set; did you mean 10.1.0.0/24?");
  }

  @Test
  void overlappingSubnetsAreRejected() {
    Response r = api.post("/virtual-networks", network("vn-1", "10.1.0.0/16", "10.1.2.0/24"));

    assertThat(r.status()).isEqualTo(400);
    assertThat(r.error())
        .isEqualTo(
            "virtual network default-domain:k8s-default:vn-1: subnets 10.1.0.0/16 and 10.1.2.0/24"
                + " overlap");
  }

  @Test
  void parentOfTheWrongTypeIsRejected() {
    UUID vn = createNetwork("vn-1", "10.1.0.0/24");
    ObjectNode body = network("vn-2", "10.2.0.0/24");
    ((ObjectNode) body.get("virtual-network"))
        .set("parent", json("{'type': 'virtual-network', 'uuid': '" + vn + "'}"));

    Response r = api.post("/virtual-networks", body);

    assertThat(r.status()).isEqualTo(400);
    assertThat(r.error())
        .contains("the parent of a virtual network must be a project, not a virtual network");
  }

  @Test
  void fqNameMustContinueTheParentsName() {
    Project other = api.namespaceProject("other");
    ObjectNode body = network("vn-2", "10.2.0.0/24");
    ((ObjectNode) body.get("virtual-network"))
        .set("parent", json("{'type': 'project', 'uuid': '" + other.uuid() + "'}"));

    Response r = api.post("/virtual-networks", body);

    assertThat(r.status()).isEqualTo(400);
    assertThat(r.error())
        .contains("does not match its parent project default-domain:k8s-other")
        .contains("expected default-domain:k8s-other:vn-2");
  }

  @Test
  void missingParentIsA404NamingIt() {
    Response r =
        api.post(
            "/virtual-networks",
            json("{'virtual-network': {'fq_name': ['default-domain', 'k8s-nope', 'vn-1']}}"));

    assertThat(r.status()).isEqualTo(404);
    assertThat(r.error()).startsWith("project default-domain:k8s-nope does not exist");
  }

  @Test
  void fqNameIsRequired() {
    Response r = api.post("/virtual-networks", json("{'virtual-network': {}}"));

    assertThat(r.status()).isEqualTo(400);
    assertThat(r.error()).startsWith("fq_name is required");
  }

  @Test
  void policyReferencesMustResolve() {
    ObjectNode body = network("vn-1", "10.1.0.0/24");
    ((ObjectNode) body.get("virtual-network"))
        .set(
            "network_policy_refs",
            json(
                "[{'policy': {'type': 'network-policy', 'to': ['default-domain', 'k8s-default',"
                    + " 'np-x']}, 'sequence': 0}]"));

    Response r = api.post("/virtual-networks", body);

    assertThat(r.status()).isEqualTo(404);
    assertThat(r.error()).contains("network policy default-domain:k8s-default:np-x does not exist");
  }

  @Test
  void policyInUseByANetworkCannotBeDeleted() {
    Response np =
        api.post(
            "/network-policys",
            json("{'network-policy': {'fq_name': ['default-domain', 'k8s-default', 'np-1']}}"));
    String npUuid = np.body().get("network-policy").get("uuid").asText();
    ObjectNode body = network("vn-1", "10.1.0.0/24");
    ((ObjectNode) body.get("virtual-network"))
        .set(
            "network_policy_refs",
            json(
                "[{'policy': {'type': 'network-policy', 'uuid': '"
                    + npUuid
                    + "'}, 'sequence': 0}]"));
    assertThat(api.post("/virtual-networks", body).status()).isEqualTo(201);

    Response r = api.delete("/network-policy/" + npUuid);

    assertThat(r.status()).isEqualTo(409);
    assertThat(r.error())
        .isEqualTo(
            "network policy default-domain:k8s-default:np-1 is in use by 1 virtual network:"
                + " default-domain:k8s-default:vn-1");
  }

  @Test
  void notJsonIsRejected() {
    Response r = api.post("/virtual-networks", "{not json");
    Response duplicate =
        api.post("/virtual-networks", "{\"virtual-network\": {}, \"virtual-network\": {}}");

    assertThat(r.status()).isEqualTo(400);
    assertThat(r.error()).startsWith("the body is not valid JSON");
    assertThat(duplicate.status()).isEqualTo(400);
    assertThat(duplicate.error()).contains("Duplicate field");
  }

  @Test
  void bodiesOverOneMebibyteAre413() {
    String big = "{\"virtual-network\": {\"x\": \"" + "a".repeat(1024 * 1024 + 10) + "\"}}";

    Response r = api.post("/virtual-networks", big);

    assertThat(r.status()).isEqualTo(413);
    assertThat(r.error()).contains("larger than 1 MiB");
    assertThat(r.body().get("status").asInt()).isEqualTo(413);
  }

  @Test
  void poolSubnetsMustLieInsideTheNetwork() {
    createNetwork("vn-1", "10.1.0.0/24");

    Response inside =
        api.post(
            "/floating-ip-pools",
            json(
                "{'floating-ip-pool': {'fq_name': ['default-domain', 'k8s-default', 'vn-1',"
                    + " 'pool-1'], 'subnets': ['10.1.0.128/25']}}"));
    Response outside =
        api.post(
            "/floating-ip-pools",
            json(
                "{'floating-ip-pool': {'fq_name': ['default-domain', 'k8s-default', 'vn-1',"
                    + " 'pool-2'], 'subnets': ['10.2.0.0/25']}}"));

    assertThat(inside.status()).as(inside.body().toString()).isEqualTo(201);
    assertThat(outside.status()).isEqualTo(400);
    assertThat(outside.error())
        .contains("subnet 10.2.0.0/25 is not inside the subnets of virtual network")
        .contains("(10.1.0.0/24)");
  }

  @Test
  void floatingIpsGetFreeAddressesFromTheirPool() {
    createNetwork("vn-public-1", "203.0.113.0/24");
    api.post(
        "/floating-ip-pools",
        json(
            "{'floating-ip-pool': {'fq_name': ['default-domain', 'k8s-default', 'vn-public-1',"
                + " 'pool-1'], 'subnets': ['203.0.113.8/30']}}"));
    String prefix =
        "{'floating-ip': {'fq_name': ['default-domain', 'k8s-default', 'vn-public-1',"
            + " 'pool-1', '";

    List<String> addresses = new ArrayList<>();
    for (int i = 0; i < 4; i++) {
      Response r = api.post("/floating-ips", json(prefix + "fip-" + i + "']}}"));
      assertThat(r.status()).as(r.body().toString()).isEqualTo(201);
      addresses.add(r.body().get("floating-ip").get("address").asText());
    }
    Response full = api.post("/floating-ips", json(prefix + "fip-4']}}"));

    assertThat(addresses)
        .containsExactlyInAnyOrder("203.0.113.8", "203.0.113.9", "203.0.113.10", "203.0.113.11");
    assertThat(full.status()).isEqualTo(409);
    assertThat(full.error()).contains("has no free address left");
    assertThat(api.kv.range(Ipam.PREFIX).kvs()).hasSize(4);
  }

  @Test
  void aRequestedFloatingIpIsReservedOnceAndReleasedOnDelete() {
    createNetwork("vn-public-1", "203.0.113.0/24");
    api.post(
        "/floating-ip-pools",
        json(
            "{'floating-ip-pool': {'fq_name': ['default-domain', 'k8s-default', 'vn-public-1',"
                + " 'pool-1']}}"));
    String prefix =
        "{'floating-ip': {'fq_name': ['default-domain', 'k8s-default', 'vn-public-1',"
            + " 'pool-1', '";

    Response first = api.post("/floating-ips", json(prefix + "a'], 'address': '203.0.113.50'}}"));
    Response again = api.post("/floating-ips", json(prefix + "b'], 'address': '203.0.113.50'}}"));
    Response outside = api.post("/floating-ips", json(prefix + "c'], 'address': '198.51.100.1'}}"));
    Response gateway = api.post("/floating-ips", json(prefix + "d'], 'address': '203.0.113.1'}}"));
    String uuid = first.body().get("floating-ip").get("uuid").asText();
    Response deleted = api.delete("/floating-ip/" + uuid);
    Response reused = api.post("/floating-ips", json(prefix + "b'], 'address': '203.0.113.50'}}"));

    assertThat(first.status()).as(first.body().toString()).isEqualTo(201);
    assertThat(again.status()).isEqualTo(409);
    assertThat(again.error()).contains("203.0.113.50 is already in use");
    assertThat(outside.status()).isEqualTo(400);
    assertThat(outside.error()).contains("address 198.51.100.1 is not inside floating IP pool");
    assertThat(gateway.status()).isEqualTo(400);
    assertThat(gateway.error()).contains("network, gateway or broadcast address");
    assertThat(deleted.status()).isEqualTo(200);
    assertThat(reused.status()).as(reused.body().toString()).isEqualTo(201);
    FloatingIp stored =
        api.stored(
            ObjectType.FLOATING_IP,
            UUID.fromString(reused.body().get("floating-ip").get("uuid").asText()));
    assertThat(stored.address()).isEqualTo("203.0.113.50");
    assertThat(api.kv.range(Ipam.PREFIX).kvs()).hasSize(1);
  }

  @Test
  void concurrentReplacesFromTheSameReadLetExactlyOneWin() throws Exception {
    UUID uuid = createNetwork("vn-1", "10.1.0.0/24");
    String etag = api.get("/virtual-network/" + uuid).header("ETag");
    int writers = 8;
    ExecutorService pool = Executors.newFixedThreadPool(writers);
    CountDownLatch start = new CountDownLatch(1);
    List<CompletableFuture<Response>> results = new ArrayList<>();
    try {
      for (int i = 0; i < writers; i++) {
        ObjectNode body = network("vn-1", "10.1.0.0/24");
        ((ObjectNode) body.get("virtual-network"))
            .putArray("route_targets")
            .add("target:64512:" + (1000 + i));
        results.add(
            CompletableFuture.supplyAsync(
                () -> {
                  try {
                    start.await();
                  } catch (InterruptedException e) {
                    throw new IllegalStateException(e);
                  }
                  return api.put("/virtual-network/" + uuid, body, etag);
                },
                pool));
      }
      start.countDown();
      List<Integer> statuses = new ArrayList<>();
      for (CompletableFuture<Response> f : results) {
        statuses.add(f.get().status());
      }

      assertThat(statuses).containsOnly(200, 409);
      assertThat(statuses.stream().filter(s -> s == 200)).hasSize(1);
    } finally {
      pool.shutdownNow();
    }
  }

  @Test
  void aStaleIfMatchIsAConflict() {
    UUID uuid = createNetwork("vn-1", "10.1.0.0/24");
    String etag = api.get("/virtual-network/" + uuid).header("ETag");
    ObjectNode changed = network("vn-1", "10.1.0.0/24");
    ((ObjectNode) changed.get("virtual-network")).putArray("route_targets");
    assertThat(api.put("/virtual-network/" + uuid, changed, etag).status()).isEqualTo(200);

    Response stale = api.put("/virtual-network/" + uuid, network("vn-1", "10.1.0.0/24"), etag);

    assertThat(stale.status()).isEqualTo(409);
    assertThat(stale.error()).contains("has changed").contains("read it again and retry");
  }

  @Test
  void subnetsWithAddressesInUseCannotBeRemoved() {
    UUID uuid = createNetwork("vn-1", "10.1.0.0/24", "10.2.0.0/24");
    VirtualNetwork vn = api.stored(ObjectType.VIRTUAL_NETWORK, uuid);
    api.create(
        new dev.weft.model.InstanceIp(
            UUID.randomUUID(),
            dev.weft.model.FqName.of("k8s__default__web-1"),
            null,
            dev.weft.model.Owner.pod("k8s", "default", "web-1", "u").annotations(),
            "10.2.0.5",
            null,
            dev.weft.model.IpPrefix.parse("10.2.0.0/24"),
            "10.2.0.1",
            vn.fqName().toString(),
            dev.weft.model.Ref.to(vn),
            List.of(),
            false));

    Response r = api.put("/virtual-network/" + uuid, network("vn-1", "10.1.0.0/24"));

    assertThat(r.status()).isEqualTo(409);
    assertThat(r.error()).contains("cannot remove subnets still in use by 1 instance IP: 10.2.0.5");
  }

  @Test
  void ownerAnnotationCannotBeForged() {
    ObjectNode body = network("vn-1", "10.1.0.0/24");
    ((ObjectNode) body.get("virtual-network")).set("annotations", json("{'owner': 'k8s'}"));

    Response r = api.post("/virtual-networks", body);

    assertThat(r.status()).isEqualTo(400);
    assertThat(r.error()).contains("annotation owner=k8s is reserved");
  }

  @Test
  void networkPolicyRulesAreValidated() {
    Response r =
        api.post(
            "/network-policys",
            json(
                "{'network-policy': {'fq_name': ['default-domain', 'k8s-default', 'np-1'], 'rules':"
                    + " [{'action': 'maybe'}]}}"));

    assertThat(r.status()).isEqualTo(400);
    assertThat(r.error()).contains("action \"maybe\" is not pass or deny");
  }

  @Test
  void writesAreStoredAsTheRecordsTheyDecodeTo() {
    Response r =
        api.post(
            "/network-policys",
            json(
                "{'network-policy': {'fq_name': ['default-domain', 'k8s-default', 'np-1'],"
                    + " 'annotations': {'team': 'blue'}, 'rules': [{'action': 'deny', 'direction':"
                    + " '>', 'protocol': 'udp', 'destination': {'subnet': '10.9.0.0/16'}}]}}"));

    NetworkPolicy np =
        api.stored(
            ObjectType.NETWORK_POLICY,
            UUID.fromString(r.body().get("network-policy").get("uuid").asText()));
    assertThat(np.annotations()).isEqualTo(Map.of("team", "blue"));
    assertThat(np.rules().get(0).destination().subnet().toString()).isEqualTo("10.9.0.0/16");
    assertThat(np.rules().get(0).source().isAny()).isTrue();
  }

  @Test
  void concurrentFloatingIpsNeverShareAnAddress() throws Exception {
    createNetwork("vn-public-1", "203.0.113.0/28");
    api.post(
        "/floating-ip-pools",
        json(
            "{'floating-ip-pool': {'fq_name': ['default-domain', 'k8s-default', 'vn-public-1',"
                + " 'pool-1']}}"));
    int writers = 16; // more than the 13 usable addresses of a /28
    ExecutorService pool = Executors.newFixedThreadPool(writers);
    CountDownLatch start = new CountDownLatch(1);
    List<CompletableFuture<Response>> results = new ArrayList<>();
    try {
      for (int i = 0; i < writers; i++) {
        ObjectNode body =
            json(
                "{'floating-ip': {'fq_name': ['default-domain', 'k8s-default', 'vn-public-1',"
                    + " 'pool-1', 'fip-"
                    + i
                    + "']}}");
        results.add(
            CompletableFuture.supplyAsync(
                () -> {
                  try {
                    start.await();
                  } catch (InterruptedException e) {
                    throw new IllegalStateException(e);
                  }
                  return api.post("/floating-ips", body);
                },
                pool));
      }
      start.countDown();
      List<String> addresses = new ArrayList<>();
      for (CompletableFuture<Response> f : results) {
        Response r = f.get();
        assertThat(r.status()).as(r.body().toString()).isIn(201, 409);
        if (r.status() == 201) {
          addresses.add(r.body().get("floating-ip").get("address").asText());
        }
      }

      assertThat(addresses).doesNotHaveDuplicates().isNotEmpty().hasSizeLessThanOrEqualTo(13);
      assertThat(addresses).doesNotContain("203.0.113.0", "203.0.113.1", "203.0.113.15");
      assertThat(api.objects.cache().count(ObjectType.FLOATING_IP)).isEqualTo(addresses.size());
    } finally {
      pool.shutdownNow();
    }
  }
}
