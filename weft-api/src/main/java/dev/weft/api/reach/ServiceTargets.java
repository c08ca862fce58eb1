package dev.weft.api.reach;

import com.fasterxml.jackson.databind.JsonNode;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Set;
import java.util.UUID;

/**
 * The services a probe can reach, read from a Kubernetes service list: those with a cluster IP (not
 * headless, not ExternalName), sorted by {@code namespace/name}, with their UID (their load
 * balancer's UUID, by which the compiled state knows them) and their ports.
 */
final class ServiceTargets {
  private ServiceTargets() {}

  /**
   * @param uid the service's {@code metadata.uid}, or null when the list gives none (the service
   *     then has no load balancer to find: nothing outside reaches it)
   */
  record Service(String namespace, String name, UUID uid, String clusterIp, List<PortSpec> ports) {
    String key() {
      return namespace + "/" + name;
    }
  }

  static List<Service> of(JsonNode serviceList) {
    List<Service> out = new ArrayList<>();
    for (JsonNode svc : serviceList.path("items")) {
      JsonNode meta = svc.path("metadata");
      JsonNode spec = svc.path("spec");
      String ip = spec.path("clusterIP").asText("");
      if (ip.isEmpty()
          || ip.equals("None")
          || spec.path("type").asText("").equals("ExternalName")) {
        continue;
      }
      Set<PortSpec> ports = new LinkedHashSet<>();
      for (JsonNode p : spec.path("ports")) {
        if (p.path("port").canConvertToInt()) {
          ports.add(
              PortSpec.parse(p.path("port").asInt() + "/" + p.path("protocol").asText("TCP")));
        }
      }
      out.add(
          new Service(
              meta.path("namespace").asText("default"),
              meta.path("name").asText(),
              uid(meta.path("uid").asText("")),
              ip,
              List.copyOf(ports)));
    }
    out.sort(Comparator.comparing(Service::key));
    return out;
  }

  private static UUID uid(String text) {
    try {
      return text.isEmpty() ? null : UUID.fromString(text);
    } catch (IllegalArgumentException e) {
      return null; // not a UUID: no load balancer is named after it
    }
  }
}
