package dev.weft.cli;

import io.fabric8.kubernetes.api.model.IntOrString;
import io.fabric8.kubernetes.api.model.Namespace;
import io.fabric8.kubernetes.api.model.NamespaceBuilder;
import io.fabric8.kubernetes.api.model.PodBuilder;
import io.fabric8.kubernetes.api.model.ServiceBuilder;
import io.fabric8.kubernetes.api.model.networking.v1.NetworkPolicyBuilder;
import io.fabric8.kubernetes.client.KubernetesClient;
import io.fabric8.kubernetes.client.KubernetesClientException;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Random;
import java.util.concurrent.ConcurrentHashMap;

/**
 * Random changes to a cluster, as users and controllers make them: namespaces (some isolated)
 * created, re-annotated and deleted; pods created, relabelled, deleted, and deleted and created
 * again under the same name (a new UID); services (some of type LoadBalancer) created, recreated
 * and deleted; NetworkPolicies created and deleted. Failures the API gives for racing with the
 * cluster's own controllers (a namespace being emptied) are counted, not thrown.
 *
 * <p>One thread at a time.
 */
final class Churn {
  static final String ISOLATION = "opencontrail.org/isolation";
  private static final List<String> APPS = List.of("a", "b", "c");

  private final KubernetesClient client;
  private final Random random;
  private final List<String> namespaces = new ArrayList<>();
  private final Map<String, List<String>> pods = new HashMap<>();
  private final Map<String, List<String>> services = new HashMap<>();
  private final Map<String, List<String>> policies = new HashMap<>();

  /** When each namespace's isolation last changed (System.nanoTime), for the renumbering check. */
  final Map<String, Long> isolationChanged = new ConcurrentHashMap<>();

  /** When each pod ({@code ns/name}) was created (System.nanoTime). */
  final Map<String, Long> podCreated = new ConcurrentHashMap<>();

  private int serial;
  int operations;
  int refused;

  Churn(KubernetesClient client, long seed) {
    this.client = client;
    this.random = new Random(seed);
  }

  /** A namespace and a few pods, so the first kills already find work in flight. */
  void seed(int namespaceCount, int podsEach) {
    for (int i = 0; i < namespaceCount; i++) {
      String ns = createNamespace();
      for (int p = 0; p < podsEach; p++) {
        createPod(ns);
      }
      createService(ns);
    }
  }

  /** One random change. */
  void step() {
    operations++;
    try {
      int dice = random.nextInt(100);
      if (namespaces.size() < 2 || (dice < 6 && namespaces.size() < 8)) {
        createNamespace();
      } else if (dice < 9 && namespaces.size() > 3) {
        deleteNamespace(pick(namespaces));
      } else if (dice < 14) {
        toggleIsolation(pick(namespaces));
      } else if (dice < 42) {
        createPod(pick(namespaces));
      } else if (dice < 60) {
        deleteOne(pods, "pod");
      } else if (dice < 64) {
        recreatePod();
      } else if (dice < 69) {
        relabelPod();
      } else if (dice < 78) {
        createService(pick(namespaces));
      } else if (dice < 80) {
        recreateService();
      } else if (dice < 87) {
        deleteOne(services, "service");
      } else if (dice < 94) {
        createPolicy(pick(namespaces));
      } else {
        deleteOne(policies, "policy");
      }
    } catch (KubernetesClientException e) {
      // Racing the namespace controller (a pod created in a namespace being emptied) and such.
      refused++;
    }
  }

  private String name(String prefix) {
    return prefix + "-" + (serial++);
  }

  private <T> T pick(List<T> list) {
    return list.get(random.nextInt(list.size()));
  }

  String createNamespace() {
    String ns = name("rel");
    Map<String, String> annotations = new HashMap<>();
    if (random.nextInt(3) == 0) {
      annotations.put(ISOLATION, "true");
    }
    client
        .namespaces()
        .resource(
            new NamespaceBuilder()
                .withNewMetadata()
                .withName(ns)
                .withAnnotations(annotations)
                .endMetadata()
                .build())
        .create();
    namespaces.add(ns);
    pods.put(ns, new ArrayList<>());
    services.put(ns, new ArrayList<>());
    policies.put(ns, new ArrayList<>());
    return ns;
  }

  private void deleteNamespace(String ns) {
    namespaces.remove(ns);
    pods.remove(ns);
    services.remove(ns);
    policies.remove(ns);
    isolationChanged.put(ns, System.nanoTime());
    client.namespaces().withName(ns).delete();
  }

  private void toggleIsolation(String ns) {
    client
        .namespaces()
        .withName(ns)
        .edit(
            (Namespace n) -> {
              Map<String, String> a = new HashMap<>();
              if (n.getMetadata().getAnnotations() != null) {
                a.putAll(n.getMetadata().getAnnotations());
              }
              if (a.remove(ISOLATION) == null) {
                a.put(ISOLATION, "true");
              }
              n.getMetadata().setAnnotations(a);
              return n;
            });
    // Pods change network: their addresses may change, legitimately, after this.
    isolationChanged.put(ns, System.nanoTime());
  }

  private void createPod(String ns) {
    createPod(ns, name("p"));
  }

  /**
   * Deleted and created again under the same name, as a StatefulSet does: a new UID, so new
   * objects, while the old ones may still be in the store.
   */
  private void recreatePod() {
    String ns = pick(namespaces);
    List<String> in = pods.get(ns);
    if (in.isEmpty()) {
      return;
    }
    String name = in.remove(random.nextInt(in.size()));
    client.pods().inNamespace(ns).withName(name).delete();
    createPod(ns, name);
  }

  private void recreateService() {
    String ns = pick(namespaces);
    List<String> in = services.get(ns);
    if (in.isEmpty()) {
      return;
    }
    String name = in.remove(random.nextInt(in.size()));
    client.services().inNamespace(ns).withName(name).delete();
    createService(ns, name);
  }

  private void createPod(String ns, String name) {
    podCreated.put(ns + "/" + name, System.nanoTime());
    client
        .pods()
        .inNamespace(ns)
        .resource(
            new PodBuilder()
                .withNewMetadata()
                .withName(name)
                .withNamespace(ns)
                .withLabels(Map.of("app", pick(APPS)))
                .endMetadata()
                .withNewSpec()
                .addNewContainer()
                .withName("c")
                .withImage("nginx")
                .addNewPort()
                .withName("http")
                .withContainerPort(80)
                .withProtocol("TCP")
                .endPort()
                .endContainer()
                .endSpec()
                .build())
        .create();
    pods.get(ns).add(name);
    podCreated.put(ns + "/" + name, System.nanoTime());
  }

  private void relabelPod() {
    String ns = pick(namespaces);
    List<String> in = pods.get(ns);
    if (in.isEmpty()) {
      return;
    }
    String name = pick(in);
    String app = pick(APPS);
    client
        .pods()
        .inNamespace(ns)
        .withName(name)
        .edit(
            p -> {
              p.getMetadata().setLabels(Map.of("app", app));
              return p;
            });
  }

  private void createService(String ns) {
    createService(ns, name("s"));
  }

  private void createService(String ns, String name) {
    boolean loadBalancer = random.nextInt(5) == 0;
    client
        .services()
        .inNamespace(ns)
        .resource(
            new ServiceBuilder()
                .withNewMetadata()
                .withName(name)
                .withNamespace(ns)
                .endMetadata()
                .withNewSpec()
                .withType(loadBalancer ? "LoadBalancer" : "ClusterIP")
                .withSelector(Map.of("app", pick(APPS)))
                .addNewPort()
                .withName("http")
                .withPort(80)
                .withTargetPort(new IntOrString("http"))
                .withProtocol("TCP")
                .endPort()
                .endSpec()
                .build())
        .create();
    services.get(ns).add(name);
  }

  private void createPolicy(String ns) {
    String name = name("np");
    client
        .network()
        .v1()
        .networkPolicies()
        .inNamespace(ns)
        .resource(
            new NetworkPolicyBuilder()
                .withNewMetadata()
                .withName(name)
                .withNamespace(ns)
                .endMetadata()
                .withNewSpec()
                .withNewPodSelector()
                .withMatchLabels(Map.of("app", pick(APPS)))
                .endPodSelector()
                .addNewIngress()
                .addNewFrom()
                .withNewPodSelector()
                .withMatchLabels(Map.of("app", pick(APPS)))
                .endPodSelector()
                .endFrom()
                .addNewPort()
                .withProtocol("TCP")
                .withPort(new IntOrString(80))
                .endPort()
                .endIngress()
                .endSpec()
                .build())
        .create();
    policies.get(ns).add(name);
  }

  private void deleteOne(Map<String, List<String>> byNamespace, String kind) {
    String ns = pick(namespaces);
    List<String> in = byNamespace.get(ns);
    if (in.isEmpty()) {
      return;
    }
    String name = in.remove(random.nextInt(in.size()));
    switch (kind) {
      case "pod" -> client.pods().inNamespace(ns).withName(name).delete();
      case "service" -> client.services().inNamespace(ns).withName(name).delete();
      default -> client.network().v1().networkPolicies().inNamespace(ns).withName(name).delete();
    }
  }
}
