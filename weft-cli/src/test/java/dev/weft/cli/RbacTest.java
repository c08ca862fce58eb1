package dev.weft.cli;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.MappingIterator;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.dataformat.yaml.YAMLFactory;
import dev.weft.kube.leader.LeaderElectionConfig;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Set;
import java.util.TreeSet;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/**
 * {@code deploy/rbac.yaml} grants exactly the Kubernetes API calls Weft makes: every one of them,
 * and nothing more (no wildcard, no write Weft does not do).
 */
class RbacTest {
  private static final Path RBAC = Path.of("..", "deploy", "rbac.yaml");
  private static final String SA_NAMESPACE = "kube-system";

  /** One permission: in a namespace ("" for cluster-wide), on a group/resource, maybe one name. */
  private record Grant(String namespace, String group, String resource, String name, String verb)
      implements Comparable<Grant> {
    @Override
    public int compareTo(Grant o) {
      return toString().compareTo(o.toString());
    }

    @Override
    public String toString() {
      return (namespace.isEmpty() ? "cluster" : "ns " + namespace)
          + " "
          + verb
          + " "
          + (group.isEmpty() ? "core" : group)
          + "/"
          + resource
          + (name.isEmpty() ? "" : "/" + name);
    }
  }

  private static Grant cluster(String group, String resource, String verb) {
    return new Grant("", group, resource, "", verb);
  }

  /**
   * The calls Weft makes, from the code: each names the class making it. A change to those calls
   * changes this list and deploy/rbac.yaml together.
   */
  private static Set<Grant> required() {
    Set<Grant> out = new TreeSet<>();
    // KubeManager: an informer (list + watch) per kind; InformerBarrier lists them to catch up.
    for (String[] watched :
        new String[][] {
          {"", "namespaces"},
          {"", "nodes"},
          {"", "pods"},
          {"", "services"},
          {"discovery.k8s.io", "endpointslices"},
          {"networking.k8s.io", "networkpolicies"}
        }) {
      out.add(cluster(watched[0], watched[1], "list"));
      out.add(cluster(watched[0], watched[1], "watch"));
    }
    // FabricGateway.list: `weft get KIND` for every kind Weft serves.
    for (KubeKinds.KubeKind kind : KubeKinds.ALL) {
      String group = kind.apiVersion().contains("/") ? kind.apiVersion().split("/")[0] : "";
      out.add(cluster(group, kind.plural(), "list"));
    }
    // ClientWriter.annotatePod: JSON merge patch of the pod's network-status annotation.
    out.add(cluster("", "pods", "patch"));
    // ClientWriter.serviceIngress: JSON patch of services/NAME/status.
    out.add(cluster("", "services/status", "patch"));
    // ClientWriter.event: v1 Events in the object's namespace.
    out.add(cluster("", "events", "create"));
    // KubernetesLeaseLock: get, create and update (resourceVersion-guarded) the election Lease.
    String ns = LeaderElectionConfig.DEFAULT_NAMESPACE;
    String lease = LeaderElectionConfig.DEFAULT_NAME;
    out.add(new Grant(ns, "coordination.k8s.io", "leases", "", "create"));
    out.add(new Grant(ns, "coordination.k8s.io", "leases", lease, "get"));
    out.add(new Grant(ns, "coordination.k8s.io", "leases", lease, "update"));
    return out;
  }

  private static List<JsonNode> documents;

  @BeforeAll
  static void read() throws IOException {
    ObjectMapper yaml = new ObjectMapper(new YAMLFactory());
    documents = new ArrayList<>();
    try (MappingIterator<JsonNode> it =
        yaml.readerFor(JsonNode.class).readValues(Files.readString(RBAC))) {
      while (it.hasNext()) {
        JsonNode doc = it.next();
        if (doc != null && !doc.isNull() && !doc.isEmpty()) {
          documents.add(doc);
        }
      }
    }
  }

  private static List<JsonNode> ofKind(String kind) {
    return documents.stream().filter(d -> d.path("kind").asText().equals(kind)).toList();
  }

  private static Set<Grant> granted() {
    Set<Grant> out = new TreeSet<>();
    for (JsonNode role : documents) {
      String kind = role.path("kind").asText();
      if (!kind.equals("ClusterRole") && !kind.equals("Role")) {
        continue;
      }
      String namespace =
          kind.equals("Role") ? role.path("metadata").path("namespace").asText() : "";
      for (JsonNode rule : role.path("rules")) {
        List<String> names = new ArrayList<>();
        rule.path("resourceNames").forEach(n -> names.add(n.asText()));
        if (names.isEmpty()) {
          names.add("");
        }
        for (JsonNode group : rule.path("apiGroups")) {
          for (JsonNode resource : rule.path("resources")) {
            for (JsonNode verb : rule.path("verbs")) {
              for (String name : names) {
                out.add(
                    new Grant(namespace, group.asText(), resource.asText(), name, verb.asText()));
              }
            }
          }
        }
      }
    }
    return out;
  }

  @Test
  void everyCallWeftMakesIsGrantedAndNothingElse() {
    Set<Grant> granted = granted();
    Set<Grant> required = required();

    Set<Grant> missing = new TreeSet<>(required);
    missing.removeAll(granted);
    Set<Grant> extra = new TreeSet<>(granted);
    extra.removeAll(required);
    assertThat(missing).as("calls Weft makes that deploy/rbac.yaml does not grant").isEmpty();
    assertThat(extra).as("grants in deploy/rbac.yaml that no Weft call needs").isEmpty();
  }

  @Test
  void nothingIsGrantedByWildcardOrToNonResourceUrls() {
    List<String> wildcards = new ArrayList<>();
    for (JsonNode role : documents) {
      for (JsonNode rule : role.path("rules")) {
        for (String field : List.of("apiGroups", "resources", "verbs", "resourceNames")) {
          rule.path(field)
              .forEach(
                  v -> {
                    if (v.asText().contains("*")) {
                      wildcards.add(role.path("metadata").path("name").asText() + " " + field);
                    }
                  });
        }
        assertThat(rule.has("nonResourceURLs")).as("nonResourceURLs").isFalse();
      }
      assertThat(role.has("aggregationRule")).as("aggregationRule").isFalse();
    }
    assertThat(wildcards).isEmpty();
    assertThat(granted())
        .extracting(Grant::verb)
        .doesNotContain("delete", "deletecollection", "escalate", "bind", "impersonate", "*");
  }

  @Test
  void theBindingsGiveTheRolesToWeftsServiceAccountOnly() {
    assertThat(ofKind("ServiceAccount"))
        .singleElement()
        .satisfies(
            sa -> {
              assertThat(sa.path("metadata").path("name").asText()).isEqualTo("weft");
              assertThat(sa.path("metadata").path("namespace").asText()).isEqualTo(SA_NAMESPACE);
            });
    List<JsonNode> bindings = new ArrayList<>(ofKind("ClusterRoleBinding"));
    bindings.addAll(ofKind("RoleBinding"));
    assertThat(bindings).hasSize(2);
    for (JsonNode binding : bindings) {
      String roleKind = binding.path("kind").asText().replace("Binding", "");
      String roleName = binding.path("roleRef").path("name").asText();
      assertThat(binding.path("roleRef").path("kind").asText()).isEqualTo(roleKind);
      assertThat(ofKind(roleKind))
          .anyMatch(r -> r.path("metadata").path("name").asText().equals(roleName));
      assertThat(binding.path("subjects")).hasSize(1);
      JsonNode subject = binding.path("subjects").get(0);
      assertThat(subject.path("kind").asText()).isEqualTo("ServiceAccount");
      assertThat(subject.path("name").asText()).isEqualTo("weft");
      assertThat(subject.path("namespace").asText()).isEqualTo(SA_NAMESPACE);
    }
    assertThat(ofKind("RoleBinding").get(0).path("metadata").path("namespace").asText())
        .isEqualTo(LeaderElectionConfig.DEFAULT_NAMESPACE);
  }
}
