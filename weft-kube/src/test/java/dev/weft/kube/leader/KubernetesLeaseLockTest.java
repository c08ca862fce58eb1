package dev.weft.kube.leader;

import static org.assertj.core.api.Assertions.assertThat;

import dev.weft.kube.embedded.EmbeddedKubernetes;
import io.fabric8.kubernetes.client.KubernetesClient;
import java.time.Instant;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/**
 * A Lease on the embedded API server is a compare-and-set lock: creating it twice and updating it
 * from a stale read both fail, so two candidates cannot both win.
 */
class KubernetesLeaseLockTest {
  private static EmbeddedKubernetes api;
  private static KubernetesClient client;

  @BeforeAll
  static void start() {
    api = EmbeddedKubernetes.start(0, null);
    client = api.newClient();
  }

  @AfterAll
  static void stop() {
    api.close();
    client.close();
  }

  private static LeaseRecord held(String holder) {
    return held(holder, Instant.parse("2025-01-01T00:00:00.123456Z"));
  }

  private static LeaseRecord held(String holder, Instant renewed) {
    return new LeaseRecord(holder, 10, renewed, renewed, 0);
  }

  @Test
  void onlyOneCreateWins() {
    KubernetesLeaseLock a = new KubernetesLeaseLock(client, "kube-system", "create-race");
    KubernetesLeaseLock b = new KubernetesLeaseLock(client, "kube-system", "create-race");
    assertThat(a.create(held("a"))).isPresent();
    assertThat(b.create(held("b"))).isEmpty();
    assertThat(b.get().orElseThrow().record().holder()).isEqualTo("a");
  }

  @Test
  void updateFromAStaleReadFails() {
    KubernetesLeaseLock lock = new KubernetesLeaseLock(client, "kube-system", "stale");
    LeaseLock.Versioned created = lock.create(held("a")).orElseThrow();
    // A renewal changes the record (its renew time), so its resourceVersion.
    LeaseLock.Versioned renewed =
        lock.update(held("a", Instant.parse("2025-01-01T00:00:01Z")), created.version())
            .orElseThrow();
    assertThat(lock.update(held("b"), created.version())).isEmpty();
    assertThat(lock.update(held("b"), renewed.version())).isPresent();
    LeaseLock.Versioned now = lock.get().orElseThrow();
    assertThat(now.record().holder()).isEqualTo("b");
    assertThat(now.record().leaseDurationSeconds()).isEqualTo(10);
    assertThat(now.record().renewTime()).isEqualTo(Instant.parse("2025-01-01T00:00:00.123456Z"));
  }

  @Test
  void releasedLeaseHasNoHolder() {
    KubernetesLeaseLock lock = new KubernetesLeaseLock(client, "kube-system", "released");
    LeaseLock.Versioned created = lock.create(held("a")).orElseThrow();
    lock.update(new LeaseRecord("", 1, null, null, 0), created.version()).orElseThrow();
    assertThat(lock.get().orElseThrow().record().holder()).isEmpty();
  }
}
