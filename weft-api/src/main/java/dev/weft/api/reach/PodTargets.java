package dev.weft.api.reach;

import com.fasterxml.jackson.databind.JsonNode;
import java.util.ArrayList;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Set;

/**
 * The pods a probe is about, read from a Kubernetes pod list: every pod on the pod network (not
 * host-network, not terminating, not finished), sorted by {@code namespace/name}, with the ports
 * its containers declare.
 */
final class PodTargets {
  private PodTargets() {}

  record Pod(String namespace, String name, List<PortSpec> declaredPorts) {
    String key() {
      return namespace + "/" + name;
    }
  }

  static List<Pod> of(JsonNode podList) {
    List<Pod> out = new ArrayList<>();
    for (JsonNode pod : podList.path("items")) {
      JsonNode meta = pod.path("metadata");
      JsonNode spec = pod.path("spec");
      String phase = pod.path("status").path("phase").asText("");
      if (spec.path("hostNetwork").asBoolean(false)
          || !meta.path("deletionTimestamp").isMissingNode()
              && !meta.path("deletionTimestamp").isNull()
          || phase.equals("Succeeded")
          || phase.equals("Failed")) {
        continue;
      }
      Set<PortSpec> ports = new LinkedHashSet<>();
      for (JsonNode c : spec.path("containers")) {
        for (JsonNode p : c.path("ports")) {
          if (p.path("containerPort").canConvertToInt()) {
            ports.add(
                PortSpec.parse(
                    p.path("containerPort").asInt() + "/" + p.path("protocol").asText("TCP")));
          }
        }
      }
      out.add(
          new Pod(
              meta.path("namespace").asText("default"),
              meta.path("name").asText(),
              List.copyOf(ports)));
    }
    out.sort(java.util.Comparator.comparing(Pod::key));
    return out;
  }
}
