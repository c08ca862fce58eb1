package dev.weft.kube.embedded;

import io.fabric8.kubernetes.api.model.Event;
import io.fabric8.kubernetes.api.model.EventBuilder;
import io.fabric8.kubernetes.api.model.Service;
import io.fabric8.kubernetes.client.KubernetesClient;
import io.fabric8.kubernetes.client.KubernetesClientException;
import java.time.Clock;
import java.time.Instant;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.atomic.AtomicLong;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Tells people about services the real API server would have refused (a cluster IP or node port it
 * cannot give, a node port where none is allowed), which the mock API server stores anyway: a log
 * line with the service's key and a Warning Event on the service, once per distinct problem rather
 * than on every pod event that brings the service round again. The stand-in leaves the fields in
 * question as they are; everything else about the service carries on. Thread-safe.
 */
final class ServiceProblems {
  private static final Logger log = LoggerFactory.getLogger(ServiceProblems.class);

  /** The component the events name as their source. */
  static final String COMPONENT = "weft-stand-ins";

  /** What a problem is about, so that one being fixed does not clear the other. */
  enum Aspect {
    CLUSTER_IP,
    NODE_PORTS
  }

  /** Why a service's fields cannot be what it asks, as a Warning Event says it. */
  record Problem(String reason, String message) {}

  private record Key(String service, Aspect aspect) {}

  private final KubernetesClient client;
  private final Clock clock;
  private final Map<Key, Problem> current = new ConcurrentHashMap<>();
  private final AtomicLong sequence = new AtomicLong();

  ServiceProblems(KubernetesClient client, Clock clock) {
    this.client = client;
    this.clock = clock;
  }

  /**
   * Records what is wrong with the service's {@code aspect} now: null when nothing is; a problem is
   * reported unless it is the one already reported for this service and aspect.
   */
  void set(Service service, Aspect aspect, Problem problem) {
    Key key = new Key(ServiceAddresses.owner(service), aspect);
    if (problem == null) {
      current.remove(key);
      return;
    }
    if (problem.equals(current.put(key, problem))) {
      return;
    }
    log.warn("service {}: {}: {}", key.service(), problem.reason(), problem.message());
    event(service, problem.reason(), problem.message());
  }

  /** The service is gone. */
  void forget(String key) {
    for (Aspect aspect : Aspect.values()) {
      current.remove(new Key(key, aspect));
    }
  }

  private void event(Service service, String reason, String message) {
    String namespace = service.getMetadata().getNamespace();
    String name = service.getMetadata().getName();
    Instant now = clock.instant();
    Event event =
        new EventBuilder()
            .withNewMetadata()
            .withNamespace(namespace)
            .withName(
                name + "." + Long.toHexString(now.toEpochMilli()) + sequence.incrementAndGet())
            .endMetadata()
            .withNewInvolvedObject()
            .withApiVersion("v1")
            .withKind("Service")
            .withNamespace(namespace)
            .withName(name)
            .withUid(service.getMetadata().getUid())
            .withResourceVersion(service.getMetadata().getResourceVersion())
            .endInvolvedObject()
            .withType("Warning")
            .withReason(reason)
            .withMessage(message)
            .withCount(1)
            .withFirstTimestamp(now.toString())
            .withLastTimestamp(now.toString())
            .withNewSource()
            .withComponent(COMPONENT)
            .endSource()
            .withReportingComponent(COMPONENT)
            .build();
    try {
      client.v1().events().inNamespace(namespace).resource(event).create();
    } catch (KubernetesClientException e) {
      // The log line above already says it; an event is a courtesy.
      log.debug(
          "service {}/{}: could not record event {}: {}", namespace, name, reason, e.getMessage());
    }
  }
}
