package dev.weft.cli;

import io.fabric8.kubernetes.client.dsl.base.ResourceDefinitionContext;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Optional;

/** The Kubernetes kinds Weft watches and serves, with the names people type for them. */
final class KubeKinds {
  /** One kind: its API group/version, Kind, REST plural, scope and short names. */
  record KubeKind(
      String apiVersion, String kind, String plural, boolean namespaced, List<String> aliases) {
    ResourceDefinitionContext context() {
      int slash = apiVersion.indexOf('/');
      return new ResourceDefinitionContext.Builder()
          .withGroup(slash < 0 ? "" : apiVersion.substring(0, slash))
          .withVersion(slash < 0 ? apiVersion : apiVersion.substring(slash + 1))
          .withKind(kind)
          .withPlural(plural)
          .withNamespaced(namespaced)
          .build();
    }
  }

  static final List<KubeKind> ALL =
      List.of(
          new KubeKind("v1", "Namespace", "namespaces", false, List.of("ns", "namespace")),
          new KubeKind("v1", "Pod", "pods", true, List.of("po", "pod")),
          new KubeKind("v1", "Node", "nodes", false, List.of("no", "node")),
          new KubeKind("v1", "Service", "services", true, List.of("svc", "service")),
          new KubeKind("v1", "Endpoints", "endpoints", true, List.of("ep")),
          new KubeKind(
              "discovery.k8s.io/v1",
              "EndpointSlice",
              "endpointslices",
              true,
              List.of("endpointslice")),
          new KubeKind(
              "networking.k8s.io/v1", "Ingress", "ingresses", true, List.of("ing", "ingress")),
          new KubeKind(
              "networking.k8s.io/v1",
              "NetworkPolicy",
              "networkpolicies",
              true,
              List.of("netpol", "networkpolicy")),
          new KubeKind("v1", "Event", "events", true, List.of("ev", "event")));

  private static final Map<String, KubeKind> BY_NAME = new LinkedHashMap<>();

  static {
    for (KubeKind k : ALL) {
      BY_NAME.put(k.plural(), k);
      BY_NAME.put(k.kind().toLowerCase(Locale.ROOT), k);
      k.aliases().forEach(a -> BY_NAME.put(a, k));
    }
  }

  private KubeKinds() {}

  /** Finds a kind by plural, singular, Kind or short name, case-insensitively. */
  static Optional<KubeKind> byName(String name) {
    return Optional.ofNullable(BY_NAME.get(name.toLowerCase(Locale.ROOT)));
  }

  /** Finds the kind of a manifest by apiVersion and kind. */
  static Optional<KubeKind> of(String apiVersion, String kind) {
    return ALL.stream()
        .filter(k -> k.kind().equals(kind) && k.apiVersion().equals(apiVersion))
        .findFirst();
  }

  static String names() {
    return String.join(", ", ALL.stream().map(KubeKind::plural).toList());
  }
}
