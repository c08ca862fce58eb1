package dev.weft.api;

import static dev.weft.api.ApiHarness.json;
import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import dev.weft.api.ApiHarness.Response;
import dev.weft.model.FloatingIpPool;
import dev.weft.model.NetworkIpam;
import dev.weft.model.ObjectType;
import dev.weft.model.Project;
import dev.weft.model.Ref;
import dev.weft.model.VirtualMachineInterface;
import dev.weft.model.VirtualNetwork;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.UUID;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.EnumSource;

class ReadEndpointsTest {
  private final ApiHarness api = new ApiHarness();

  @AfterEach
  void close() {
    api.close();
  }

  private record World(
      Project project,
      NetworkIpam ipam,
      VirtualNetwork network,
      VirtualMachineInterface web1,
      VirtualMachineInterface web2,
      FloatingIpPool pool) {}

  private World world() {
    Project project = api.namespaceProject("default");
    NetworkIpam ipam = api.ipam(project, "k8s-pod-ipam", List.of("10.32.0.0/12"));
    VirtualNetwork network =
        api.derivedNetwork(project, "k8s-default-pod-network", ipam, "default");
    VirtualMachineInterface web1 = api.podInterface(project, network, "default", "web-1");
    VirtualMachineInterface web2 = api.podInterface(project, network, "default", "web-2");
    FloatingIpPool pool =
        api.create(
            new FloatingIpPool(
                UUID.randomUUID(),
                network.fqName().child("pool-1"),
                Ref.to(network),
                Map.of(),
                List.of()));
    return new World(project, ipam, network, web1, web2, pool);
  }

  @ParameterizedTest
  @EnumSource(ObjectType.class)
  void everyCollectionAnswersEvenWhenEmpty(ObjectType type) {
    Response r = api.get("/" + type.plural());

    assertThat(r.status()).isEqualTo(200);
    assertThat(r.body().get(type.plural()).isArray()).isTrue();
    assertThat(r.body().get(type.plural())).isEmpty();
  }

  @Test
  void collectionListsHrefFqNameAndUuidSortedByName() {
    World w = world();

    Response r = api.get("/virtual-machine-interfaces");

    assertThat(r.status()).isEqualTo(200);
    JsonNode items = r.body().get("virtual-machine-interfaces");
    assertThat(items).hasSize(2);
    JsonNode first = items.get(0);
    assertThat(fieldNames(first)).containsExactlyInAnyOrder("href", "fq_name", "uuid");
    assertThat(first.get("uuid").asText()).isEqualTo(w.web1().uuid().toString());
    assertThat(first.get("fq_name").toString())
        .isEqualTo("[\"default-domain\",\"k8s-default\",\"k8s__default__web-1\"]");
    assertThat(first.get("href").asText())
        .isEqualTo(api.url("/virtual-machine-interface/" + w.web1().uuid()));
    assertThat(items.get(1).get("uuid").asText()).isEqualTo(w.web2().uuid().toString());
  }

  @Test
  void detailListsFullObjects() {
    World w = world();

    Response r = api.get("/virtual-networks?detail=true");

    JsonNode item = r.body().get("virtual-networks").get(0);
    assertThat(item.get("uuid").asText()).isEqualTo(w.network().uuid().toString());
    assertThat(item.get("network_ipam_refs").get(0).get("ipam").get("uuid").asText())
        .isEqualTo(w.ipam().uuid().toString());
    assertThat(item.get("annotations").get("owner").asText()).isEqualTo("k8s");
    assertThat(item.get("virtual_machine_interface_back_refs")).hasSize(2);
  }

  @Test
  void collectionsFilterByParentAndFqName() {
    World w = world();
    Project other = api.namespaceProject("other");
    api.podInterface(other, w.network(), "other", "db-1");

    JsonNode byParent =
        api.get("/virtual-machine-interfaces?parent_id=" + other.uuid())
            .body()
            .get("virtual-machine-interfaces");
    JsonNode byName =
        api.get(
                "/virtual-machine-interfaces?fq_name=default-domain:k8s-default:k8s__default__web-2")
            .body()
            .get("virtual-machine-interfaces");
    JsonNode both =
        api.get("/virtual-machine-interfaces?parent_id=" + other.uuid() + "," + w.project().uuid())
            .body()
            .get("virtual-machine-interfaces");

    assertThat(byParent).hasSize(1);
    assertThat(byParent.get(0).get("fq_name").get(2).asText()).isEqualTo("k8s__other__db-1");
    assertThat(byName).hasSize(1);
    assertThat(byName.get(0).get("uuid").asText()).isEqualTo(w.web2().uuid().toString());
    assertThat(both).hasSize(3);
  }

  @Test
  void badFiltersAreRejectedWithTheReason() {
    Response r = api.get("/virtual-networks?parent_id=nope");

    assertThat(r.status()).isEqualTo(400);
    assertThat(r.error()).contains("\"nope\" is not a UUID");
    assertThat(r.body().get("status").asInt()).isEqualTo(400);
  }

  @Test
  void objectCarriesHrefBackRefsGroupedByTypeAndChildren() {
    World w = world();

    Response r = api.get("/virtual-network/" + w.network().uuid());

    assertThat(r.status()).isEqualTo(200);
    assertThat(r.header("ETag")).matches("\"\\d+\"");
    JsonNode vn = r.body().get("virtual-network");
    assertThat(vn.get("uuid").asText()).isEqualTo(w.network().uuid().toString());
    assertThat(vn.get("href").asText())
        .isEqualTo(api.url("/virtual-network/" + w.network().uuid()));
    assertThat(vn.get("fq_name").toString())
        .isEqualTo("[\"default-domain\",\"k8s-default\",\"k8s-default-pod-network\"]");
    JsonNode backRefs = vn.get("virtual_machine_interface_back_refs");
    assertThat(backRefs).hasSize(2);
    assertThat(backRefs.get(0).get("uuid").asText()).isEqualTo(w.web1().uuid().toString());
    assertThat(backRefs.get(0).get("to").get(2).asText()).isEqualTo("k8s__default__web-1");
    assertThat(backRefs.get(0).get("href").asText()).contains("/virtual-machine-interface/");
    JsonNode pools = vn.get("floating_ip_pools");
    assertThat(pools).hasSize(1);
    assertThat(pools.get(0).get("uuid").asText()).isEqualTo(w.pool().uuid().toString());
    assertThat(pools.get(0).get("to").get(3).asText()).isEqualTo("pool-1");
  }

  @Test
  void projectShowsItsChildrenByType() {
    World w = world();

    JsonNode project = api.get("/project/" + w.project().uuid()).body().get("project");

    assertThat(project.get("virtual_networks")).hasSize(1);
    assertThat(project.get("network_ipams")).hasSize(1);
    assertThat(project.get("virtual_machine_interfaces")).hasSize(2);
  }

  @Test
  void missingObjectIsA404InJson() {
    UUID uuid = UUID.randomUUID();

    Response r = api.get("/virtual-network/" + uuid);

    assertThat(r.status()).isEqualTo(404);
    assertThat(r.raw().headers().firstValue("Content-Type").orElseThrow())
        .startsWith("application/json");
    assertThat(r.error()).isEqualTo("no virtual-network with uuid " + uuid);
    assertThat(r.body().get("status").asInt()).isEqualTo(404);
  }

  @Test
  void uuidOfAnotherTypeSaysWhatItIs() {
    World w = world();

    Response r = api.get("/virtual-network/" + w.project().uuid());

    assertThat(r.status()).isEqualTo(404);
    assertThat(r.error()).contains("it is the project default-domain:k8s-default");
  }

  @Test
  void unknownEndpointIsA404InJson() {
    Response r = api.get("/no-such-things");

    assertThat(r.status()).isEqualTo(404);
    assertThat(r.error()).contains("GET /no-such-things").contains("GET / lists");
  }

  @Test
  void fqNameToIdAndBack() {
    World w = world();

    Response toId =
        api.post(
            "/fqname-to-id",
            json(
                "{'type': 'virtual-network', 'fq_name': ['default-domain', 'k8s-default',"
                    + " 'k8s-default-pod-network']}"));
    Response toName = api.post("/id-to-fqname", json("{'uuid': '" + w.network().uuid() + "'}"));

    assertThat(toId.status()).isEqualTo(200);
    assertThat(toId.body().get("uuid").asText()).isEqualTo(w.network().uuid().toString());
    assertThat(toName.status()).isEqualTo(200);
    assertThat(toName.body().get("type").asText()).isEqualTo("virtual-network");
    assertThat(toName.body().get("fq_name").toString())
        .isEqualTo("[\"default-domain\",\"k8s-default\",\"k8s-default-pod-network\"]");
  }

  @Test
  void fqNameToIdAnswers404WhenNothingHasTheName() {
    Response r =
        api.post(
            "/fqname-to-id",
            json("{'type': 'virtual-network', 'fq_name': ['default-domain', 'p', 'vn-x']}"));
    Response byId = api.post("/id-to-fqname", json("{'uuid': '" + UUID.randomUUID() + "'}"));

    assertThat(r.status()).isEqualTo(404);
    assertThat(r.error()).isEqualTo("virtual network default-domain:p:vn-x does not exist");
    assertThat(byId.status()).isEqualTo(404);
  }

  @Test
  void fqNameToIdRejectsUnknownTypesAndFields() {
    Response badType = api.post("/fqname-to-id", json("{'type': 'router', 'fq_name': ['a']}"));
    Response badField =
        api.post("/fqname-to-id", json("{'type': 'project', 'fq_name': ['a'], 'typo': 1}"));

    assertThat(badType.status()).isEqualTo(400);
    assertThat(badType.error())
        .contains("\"router\" is not an object type")
        .contains("virtual-network");
    assertThat(badField.status()).isEqualTo(400);
    assertThat(badField.error()).contains("unknown field \"typo\"");
  }

  @Test
  void rootListsEveryCollection() {
    Response r = api.get("/");

    List<String> names = new ArrayList<>();
    r.body().get("links").forEach(l -> names.add(l.get("link").get("name").asText()));
    assertThat(names).contains("virtual-network", "network-policy", "fqname-to-id", "apply");
    assertThat(r.body().get("links").get(0).get("link").get("href").asText())
        .isEqualTo(api.url("/projects"));
  }

  @Test
  void healthReportsTheStoreRevision() {
    world();

    Response r = api.get("/healthz");

    assertThat(r.status()).isEqualTo(200);
    assertThat(r.body().get("status").asText()).isEqualTo("ok");
    assertThat(r.body().get("revision").asLong()).isEqualTo(api.kv.revision()).isPositive();
  }

  @Test
  void networkPoliciesAnswerUnderBothPlurals() {
    assertThat(api.get("/network-policys").body().has("network-policys")).isTrue();
    assertThat(api.get("/network-policies").status()).isEqualTo(200);
  }

  private static List<String> fieldNames(JsonNode node) {
    List<String> out = new ArrayList<>();
    node.fieldNames().forEachRemaining(out::add);
    return out;
  }
}
