package dev.weft.kube;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import dev.weft.kube.translate.KubeAnnotations;
import dev.weft.model.ConfigObject;
import dev.weft.model.InstanceIp;
import dev.weft.model.ObjectType;
import dev.weft.model.Ref;
import io.fabric8.kubernetes.api.model.NamespaceBuilder;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Collections;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Random;
import java.util.Set;
import java.util.TreeSet;
import java.util.stream.IntStream;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.MethodSource;

/**
 * Level-based reconcile: the same final Kubernetes state, reached through the same changes in any
 * order, and with the kube-manager stopped and restarted at a random point, ends in the same store
 * (up to which address each pod drew), with no address given twice.
 */
class ReconcileOrderPropertyTest {

  static IntStream seeds() {
    return IntStream.range(0, 4);
  }

  /** One change to Kubernetes; applied in a random order that keeps creates before updates. */
  private record Step(String kind, String ns, String name, Map<String, String> annotations) {}

  /** The store without addresses and MACs: what must not depend on the order of events. */
  private static Set<String> shape(Cluster c) {
    Set<String> out = new TreeSet<>();
    for (ObjectType t : ObjectType.values()) {
      for (var s : c.store.cache().list(t)) {
        ConfigObject o = s.object();
        StringBuilder sb = new StringBuilder(t.singular()).append(' ').append(o.fqName());
        sb.append(" owner=").append(o.owner().map(ow -> ow.key()).orElse("-"));
        List<String> refs = new ArrayList<>();
        for (Ref r : o.refs()) {
          // Which node a pod lands on is the scheduler's round robin, not Weft's reconcile order.
          if (r.type() != ObjectType.VIRTUAL_ROUTER) {
            refs.add(r.type().singular() + ":" + r.to());
          }
        }
        Collections.sort(refs);
        sb.append(" refs=").append(refs);
        if (o instanceof InstanceIp ip) {
          sb.append(" subnet=").append(ip.subnet());
        }
        out.add(sb.toString());
      }
    }
    return out;
  }

  private static List<Step> script(Random random) {
    List<Step> creates = new ArrayList<>();
    List<Step> later = new ArrayList<>();
    for (int n = 0; n < 4; n++) {
      String ns = "ns-" + n;
      boolean isolatedAtFirst = random.nextBoolean();
      creates.add(
          new Step(
              "Namespace",
              "",
              ns,
              isolatedAtFirst ? Map.of(KubeAnnotations.ISOLATION, "true") : Map.of()));
      // The final state: even namespaces isolated, odd ones not.
      later.add(
          new Step(
              "Namespace",
              "",
              ns,
              n % 2 == 0 ? Map.of(KubeAnnotations.ISOLATION, "true") : Map.of()));
      for (int p = 0; p < 3; p++) {
        creates.add(new Step("Pod", ns, "p" + p, Map.of()));
      }
      creates.add(new Step("Pod", ns, "doomed", Map.of()));
      later.add(new Step("DeletePod", ns, "doomed", Map.of()));
    }
    Collections.shuffle(creates, random);
    Collections.shuffle(later, random);
    List<Step> all = new ArrayList<>(creates);
    all.addAll(later);
    return all;
  }

  private static void apply(Cluster c, Step s) {
    switch (s.kind()) {
      case "Namespace" -> {
        // update() sends the version it read; the stand-ins labelling the namespace meanwhile
        // makes that a 409, as with any controller writing beside a user: read again and retry.
        for (int attempt = 1; ; attempt++) {
          try {
            c.client
                .resource(
                    new NamespaceBuilder()
                        .withNewMetadata()
                        .withName(s.name())
                        .withAnnotations(s.annotations())
                        .endMetadata()
                        .build())
                .createOr(r -> r.update());
            break;
          } catch (io.fabric8.kubernetes.client.KubernetesClientException e) {
            if (e.getCode() != 409 || attempt == 10) {
              throw e;
            }
          }
        }
      }
      case "Pod" -> c.createPod(s.ns(), s.name(), Map.of(), false);
      case "DeletePod" -> c.client.pods().inNamespace(s.ns()).withName(s.name()).delete();
      default -> throw new IllegalArgumentException(s.kind());
    }
  }

  private static Set<String> converge(Cluster c) {
    await()
        .atMost(Duration.ofSeconds(30))
        .pollInterval(Duration.ofMillis(50))
        .until(
            () -> {
              Set<String> vms = new HashSet<>();
              c.store
                  .cache()
                  .list(ObjectType.VIRTUAL_MACHINE)
                  .forEach(s -> vms.add(s.object().fqName().toString()));
              long isolated =
                  c.store.cache().list(ObjectType.VIRTUAL_NETWORK).stream()
                      .filter(s -> s.object().fqName().name().matches("k8s-ns-\\d-pod-network"))
                      .count();
              return vms.size() == 12
                  && isolated == 2
                  && c.manager.awaitIdle(Duration.ofMillis(300));
            });
    return shape(c);
  }

  private static void assertNoAddressTwice(Cluster c) {
    List<String> addresses = new ArrayList<>();
    c.store
        .cache()
        .<InstanceIp>list(ObjectType.INSTANCE_IP)
        .forEach(s -> addresses.add(s.object().address()));
    assertThat(new HashSet<>(addresses)).hasSameSizeAs(addresses);
    assertThat(c.kv.range(dev.weft.store.ipam.Ipam.PREFIX).kvs()).hasSameSizeAs(addresses);
  }

  @ParameterizedTest(name = "seed {0}")
  @MethodSource("seeds")
  void anyOrderAndARestartMidWayEndInTheSameStore(int seed) throws Exception {
    Set<String> reference;
    try (Cluster c = new Cluster(ClusterConfig.defaults())) {
      // Reference: the final state created directly, in a fixed order.
      for (Step s : script(new Random(1000 + seed))) {
        if (!s.kind().equals("DeletePod")) {
          apply(c, s);
        }
      }
      for (Step s : script(new Random(1000 + seed))) {
        if (s.kind().equals("DeletePod") || s.kind().equals("Namespace")) {
          apply(c, s);
        }
      }
      reference = converge(c);
      assertNoAddressTwice(c);
    }
    Random random = new Random(seed);
    List<Step> steps = script(random);
    int restartAt = random.nextInt(steps.size());
    try (Cluster c = new Cluster(ClusterConfig.defaults())) {
      for (int i = 0; i < steps.size(); i++) {
        if (i == restartAt) {
          c.stopManager();
        }
        apply(c, steps.get(i));
        if (i == restartAt + 2 || (i == steps.size() - 1 && i < restartAt + 2)) {
          c.startManager();
        }
      }
      Set<String> shape = converge(c);
      assertThat(shape)
          .as("seed %d, restart at step %d of %d", seed, restartAt, steps.size())
          .isEqualTo(reference);
      assertNoAddressTwice(c);
    }
  }
}
