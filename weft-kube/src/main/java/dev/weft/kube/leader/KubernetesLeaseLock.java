package dev.weft.kube.leader;

import io.fabric8.kubernetes.api.model.coordination.v1.Lease;
import io.fabric8.kubernetes.api.model.coordination.v1.LeaseBuilder;
import io.fabric8.kubernetes.client.KubernetesClient;
import io.fabric8.kubernetes.client.KubernetesClientException;
import java.time.Instant;
import java.time.ZoneOffset;
import java.time.ZonedDateTime;
import java.util.Optional;

/**
 * A {@code coordination.k8s.io/v1} Lease as the lock: updates carry the resourceVersion read, so
 * the API server refuses (409) a write based on a stale read.
 */
final class KubernetesLeaseLock implements LeaseLock {
  private final KubernetesClient client;
  private final String namespace;
  private final String name;

  KubernetesLeaseLock(KubernetesClient client, String namespace, String name) {
    this.client = client;
    this.namespace = namespace;
    this.name = name;
  }

  @Override
  public Optional<Versioned> get() {
    Lease lease = client.leases().inNamespace(namespace).withName(name).get();
    return Optional.ofNullable(lease).map(KubernetesLeaseLock::versioned);
  }

  @Override
  public Optional<Versioned> create(LeaseRecord record) {
    try {
      return Optional.of(
          versioned(client.leases().inNamespace(namespace).resource(lease(record, null)).create()));
    } catch (KubernetesClientException e) {
      if (e.getCode() == 409) {
        return Optional.empty();
      }
      throw e;
    }
  }

  @Override
  public Optional<Versioned> update(LeaseRecord record, String version) {
    try {
      return Optional.of(
          versioned(
              client.leases().inNamespace(namespace).resource(lease(record, version)).update()));
    } catch (KubernetesClientException e) {
      if (e.getCode() == 409 || e.getCode() == 404) {
        return Optional.empty();
      }
      throw e;
    }
  }

  @Override
  public String describe() {
    return "Lease " + namespace + "/" + name;
  }

  private Lease lease(LeaseRecord r, String resourceVersion) {
    return new LeaseBuilder()
        .withNewMetadata()
        .withNamespace(namespace)
        .withName(name)
        .withResourceVersion(resourceVersion)
        .endMetadata()
        .withNewSpec()
        .withHolderIdentity(r.holder().isEmpty() ? null : r.holder())
        .withLeaseDurationSeconds(r.leaseDurationSeconds())
        .withAcquireTime(time(r.acquireTime()))
        .withRenewTime(time(r.renewTime()))
        .withLeaseTransitions(r.transitions())
        .endSpec()
        .build();
  }

  private static ZonedDateTime time(Instant t) {
    return t == null ? null : t.atZone(ZoneOffset.UTC);
  }

  private static Versioned versioned(Lease lease) {
    var spec = lease.getSpec();
    LeaseRecord record =
        spec == null
            ? new LeaseRecord("", 0, null, null, 0)
            : new LeaseRecord(
                spec.getHolderIdentity(),
                spec.getLeaseDurationSeconds() == null ? 0 : spec.getLeaseDurationSeconds(),
                spec.getAcquireTime() == null ? null : spec.getAcquireTime().toInstant(),
                spec.getRenewTime() == null ? null : spec.getRenewTime().toInstant(),
                spec.getLeaseTransitions() == null ? 0 : spec.getLeaseTransitions());
    return new Versioned(record, lease.getMetadata().getResourceVersion());
  }
}
