package dev.weft.kube.embedded;

import io.fabric8.kubernetes.api.model.ObjectReference;
import io.fabric8.kubernetes.api.model.ObjectReferenceBuilder;
import io.fabric8.kubernetes.api.model.OwnerReference;
import io.fabric8.kubernetes.api.model.OwnerReferenceBuilder;
import io.fabric8.kubernetes.api.model.discovery.v1.Endpoint;
import io.fabric8.kubernetes.api.model.discovery.v1.EndpointBuilder;
import io.fabric8.kubernetes.api.model.discovery.v1.EndpointConditions;
import io.fabric8.kubernetes.api.model.discovery.v1.EndpointPort;
import io.fabric8.kubernetes.api.model.discovery.v1.EndpointPortBuilder;
import io.fabric8.kubernetes.api.model.discovery.v1.EndpointSlice;
import io.fabric8.kubernetes.api.model.discovery.v1.EndpointSliceBuilder;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;

/** Translation between fabric8 EndpointSlices and the stand-ins' records of them. */
final class SliceObjects {
  private SliceObjects() {}

  /**
   * The object that owns a controller's slices: the Service, or for mirrored slices the Endpoints.
   */
  record Owner(String kind, String name, String uid) {
    OwnerReference reference() {
      return new OwnerReferenceBuilder()
          .withApiVersion("v1")
          .withKind(kind)
          .withName(name)
          .withUid(uid)
          .withController(true)
          .withBlockOwnerDeletion(true)
          .build();
    }
  }

  static ObservedSlice observe(EndpointSlice slice) {
    var m = slice.getMetadata();
    String owner = null;
    if (m.getOwnerReferences() != null) {
      for (OwnerReference ref : m.getOwnerReferences()) {
        if (Boolean.TRUE.equals(ref.getController()) || owner == null) {
          owner = ref.getUid();
        }
      }
    }
    List<SlicePort> ports = new ArrayList<>();
    if (slice.getPorts() != null) {
      for (EndpointPort p : slice.getPorts()) {
        ports.add(
            new SlicePort(
                p.getName(),
                p.getProtocol(),
                p.getPort() == null ? 0 : p.getPort(),
                p.getAppProtocol()));
      }
    }
    List<SliceEndpoint> endpoints = new ArrayList<>();
    if (slice.getEndpoints() != null) {
      for (Endpoint e : slice.getEndpoints()) {
        EndpointConditions c = e.getConditions();
        ObjectReference ref = e.getTargetRef();
        endpoints.add(
            new SliceEndpoint(
                e.getAddresses() == null ? List.of() : e.getAddresses(),
                c == null ? null : c.getReady(),
                c == null ? null : c.getServing(),
                c == null ? null : c.getTerminating(),
                e.getNodeName(),
                e.getHostname(),
                ref == null
                    ? null
                    : new SliceEndpoint.Target(
                        ref.getKind(), ref.getNamespace(), ref.getName(), ref.getUid())));
      }
    }
    return new ObservedSlice(
        m.getName(),
        m.getResourceVersion(),
        owner,
        new SliceShape(slice.getAddressType(), ports),
        endpoints,
        m.getLabels() == null ? Map.of() : m.getLabels());
  }

  /**
   * A slice to write.
   *
   * @param resourceVersion null to create, the observed version to update
   */
  static EndpointSlice build(
      String namespace,
      String name,
      String resourceVersion,
      Map<String, String> labels,
      Owner owner,
      SliceShape shape,
      List<SliceEndpoint> endpoints) {
    List<EndpointPort> ports = new ArrayList<>();
    for (SlicePort p : shape.ports()) {
      ports.add(
          new EndpointPortBuilder()
              .withName(p.name())
              .withProtocol(p.protocol())
              .withPort(p.port())
              .withAppProtocol(p.appProtocol())
              .build());
    }
    List<Endpoint> out = new ArrayList<>();
    for (SliceEndpoint e : endpoints) {
      SliceEndpoint.Target t = e.target();
      out.add(
          new EndpointBuilder()
              .withAddresses(e.addresses())
              .withNewConditions()
              .withReady(e.ready())
              .withServing(e.serving())
              .withTerminating(e.terminating())
              .endConditions()
              .withNodeName(e.nodeName())
              .withHostname(e.hostname())
              .withTargetRef(
                  t == null
                      ? null
                      : new ObjectReferenceBuilder()
                          .withKind(t.kind())
                          .withNamespace(t.namespace())
                          .withName(t.name())
                          .withUid(t.uid())
                          .build())
              .build());
    }
    return new EndpointSliceBuilder()
        .withNewMetadata()
        .withNamespace(namespace)
        .withName(name)
        .withResourceVersion(resourceVersion)
        .withLabels(labels)
        .withOwnerReferences(owner.reference())
        .endMetadata()
        .withAddressType(shape.addressType())
        .withPorts(ports)
        .withEndpoints(out)
        .build();
  }
}
