package dev.weft.api;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.JsonNodeFactory;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.weft.api.ApiHarness.Response;
import dev.weft.model.ObjectType;
import java.util.ArrayList;
import java.util.Collections;
import java.util.HashSet;
import java.util.List;
import java.util.Random;
import java.util.Set;
import java.util.stream.LongStream;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.MethodSource;

/**
 * Properties of declarative apply over random documents: applying twice changes nothing the second
 * time, and deleting what was applied leaves no user object behind. Each case prints its seed.
 */
class ApplyPropertiesTest {
  private static final JsonNodeFactory F = JsonNodeFactory.instance;
  private static final List<String> PROJECTS = List.of("k8s-default", "k8s-ns-a");

  static LongStream seeds() {
    return LongStream.range(0, 24).map(i -> 0x5eed0000L + i * 7919);
  }

  /** Random weft/v1 documents in an order that applies: policies, networks, pools. */
  private static final class Documents {
    final Random random;
    final List<ObjectNode> policies = new ArrayList<>();
    final List<ObjectNode> networks = new ArrayList<>();
    final List<ObjectNode> pools = new ArrayList<>();
    private final Set<Integer> usedBlocks = new HashSet<>();
    private final List<String[]> policyNames = new ArrayList<>(); // {project, name}

    Documents(long seed) {
      random = new Random(seed);
      int policyCount = random.nextInt(4);
      for (int i = 0; i < policyCount; i++) {
        policies.add(policy("np-" + i));
      }
      int networkCount = 1 + random.nextInt(3);
      for (int i = 0; i < networkCount; i++) {
        networks.add(network("vn-" + i));
      }
      for (ObjectNode vn : networks) {
        var subnets = vn.path("spec").path("subnets");
        if (subnets.isArray() && !subnets.isEmpty() && random.nextInt(3) > 0) {
          pools.add(pool(vn, "pool-" + pools.size(), subnets.get(0)));
        }
      }
    }

    List<ObjectNode> all() {
      List<ObjectNode> out = new ArrayList<>(policies);
      out.addAll(networks);
      out.addAll(pools);
      return out;
    }

    private String project() {
      return PROJECTS.get(random.nextInt(PROJECTS.size()));
    }

    private ObjectNode doc(String kind, String name, String project) {
      ObjectNode doc = F.objectNode();
      doc.put("apiVersion", "weft/v1");
      doc.put("kind", kind);
      ObjectNode meta = doc.putObject("metadata");
      meta.put("name", name);
      meta.put("project", project);
      if (random.nextBoolean()) {
        meta.put("domain", "default-domain");
      }
      if (random.nextInt(3) == 0) {
        meta.putObject("annotations").put("team", "t" + random.nextInt(5));
      }
      return doc;
    }

    private ObjectNode policy(String name) {
      String project = project();
      policyNames.add(new String[] {project, name});
      ObjectNode doc = doc("NetworkPolicy", name, project);
      ObjectNode spec = doc.putObject("spec");
      ArrayNode rules = spec.putArray("rules");
      int count = random.nextInt(4);
      for (int i = 0; i < count; i++) {
        ObjectNode rule = rules.addObject();
        rule.put("action", random.nextBoolean() ? "pass" : "deny");
        if (random.nextBoolean()) {
          rule.put("direction", random.nextBoolean() ? "<>" : ">");
        }
        if (random.nextBoolean()) {
          rule.put("protocol", List.of("any", "tcp", "udp", "sctp", "icmp").get(random.nextInt(5)));
        }
        end(rule, "source", project);
        end(rule, "destination", project);
        ports(rule, "sourcePorts");
        ports(rule, "destinationPorts");
      }
      return doc;
    }

    private void end(ObjectNode rule, String field, String project) {
      switch (random.nextInt(5)) {
        case 0 -> {}
        case 1 -> rule.put(field, "any");
        case 2 -> rule.putObject(field).put("network", "vn-" + random.nextInt(3));
        case 3 ->
            rule.putObject(field)
                .put("network", "default-domain:" + project() + ":vn-" + random.nextInt(3));
        default ->
            rule.putObject(field).put("subnet", "172." + (16 + random.nextInt(16)) + ".0.0/16");
      }
    }

    private void ports(ObjectNode rule, String field) {
      int count = random.nextInt(3);
      if (count == 0) {
        return;
      }
      ArrayNode ports = rule.putArray(field);
      for (int i = 0; i < count; i++) {
        int low = 1 + random.nextInt(60000);
        switch (random.nextInt(3)) {
          case 0 -> ports.add(low);
          case 1 -> ports.add(low + "-" + (low + random.nextInt(1000)));
          default -> ports.add("any");
        }
      }
    }

    private ObjectNode network(String name) {
      ObjectNode doc = doc("VirtualNetwork", name, project());
      ObjectNode spec = doc.putObject("spec");
      int subnetCount = random.nextInt(3);
      if (subnetCount > 0 || random.nextBoolean()) {
        ArrayNode subnets = spec.putArray("subnets");
        for (int i = 0; i < subnetCount; i++) {
          int block;
          do {
            block = random.nextInt(250);
          } while (!usedBlocks.add(block));
          String cidr = "10." + block + ".0.0/24";
          if (random.nextBoolean()) {
            subnets.add(cidr);
          } else {
            ObjectNode s = subnets.addObject().put("cidr", cidr);
            if (random.nextBoolean()) {
              s.put("gateway", "10." + block + ".0." + (1 + random.nextInt(254)));
            }
          }
        }
      }
      if (random.nextBoolean()) {
        ArrayNode rts = spec.putArray("routeTargets");
        for (int i = random.nextInt(3); i >= 0; i--) {
          rts.add("target:64512:" + (100 + i));
        }
      }
      String project = doc.get("metadata").get("project").asText();
      List<String[]> candidates = new ArrayList<>(policyNames);
      Collections.shuffle(candidates, random);
      int attach = candidates.isEmpty() ? 0 : random.nextInt(candidates.size() + 1);
      if (attach > 0) {
        ArrayNode refs = spec.putArray("networkPolicies");
        for (String[] p : candidates.subList(0, attach)) {
          refs.add(
              p[0].equals(project) && random.nextBoolean()
                  ? p[1]
                  : "default-domain:" + p[0] + ":" + p[1]);
        }
      }
      return doc;
    }

    private ObjectNode pool(
        ObjectNode network, String name, com.fasterxml.jackson.databind.JsonNode subnet) {
      ObjectNode meta = (ObjectNode) network.get("metadata");
      ObjectNode doc = doc("FloatingIpPool", name, meta.get("project").asText());
      ((ObjectNode) doc.get("metadata")).put("network", meta.get("name").asText());
      ((ObjectNode) doc.get("metadata")).put("domain", "default-domain");
      if (random.nextBoolean()) {
        String cidr = subnet.isTextual() ? subnet.asText() : subnet.get("cidr").asText();
        String base = cidr.substring(0, cidr.lastIndexOf(".0/24"));
        doc.putObject("spec")
            .putArray("subnets")
            .add(base + "." + (64 * random.nextInt(4)) + "/26");
      }
      return doc;
    }
  }

  private static ApiHarness harness() {
    ApiHarness api = new ApiHarness();
    PROJECTS.forEach(p -> api.namespaceProject(p.substring("k8s-".length())));
    return api;
  }

  @ParameterizedTest(name = "seed {0}")
  @MethodSource("seeds")
  void applyingTheSameDocumentsTwiceChangesNothing(long seed) {
    Documents docs = new Documents(seed);
    try (ApiHarness api = harness()) {
      for (ObjectNode doc : docs.all()) {
        Response r = api.post("/apply", doc);
        assertThat(r.body().path("result").asText())
            .as("seed %d: first apply of %s -> %s", seed, doc, r.body())
            .isEqualTo("created");
      }
      long revision = api.kv.revision();

      for (ObjectNode doc : docs.all()) {
        Response r = api.post("/apply", doc);
        assertThat(r.body().path("result").asText())
            .as("seed %d: second apply of %s -> %s", seed, doc, r.body())
            .isEqualTo("unchanged");
      }

      assertThat(api.kv.revision()).as("seed %d: nothing written", seed).isEqualTo(revision);
    }
  }

  @ParameterizedTest(name = "seed {0}")
  @MethodSource("seeds")
  void deletingWhatWasAppliedInReverseLeavesNoUserObjects(long seed) {
    Documents docs = new Documents(seed);
    try (ApiHarness api = harness()) {
      docs.all().forEach(doc -> api.post("/apply", doc));
      List<ObjectNode> reversed = new ArrayList<>(docs.all());
      Collections.reverse(reversed);

      for (ObjectNode doc : reversed) {
        Response r = api.post("/delete", doc);
        assertThat(r.body().path("result").asText())
            .as("seed %d: delete of %s -> %s", seed, doc, r.body())
            .isEqualTo("deleted");
      }

      for (ObjectType type : ObjectType.values()) {
        if (type.userCreatable()) {
          assertThat(api.objects.cache().count(type)).as("seed %d: %s left", seed, type).isZero();
        }
      }
    }
  }
}
