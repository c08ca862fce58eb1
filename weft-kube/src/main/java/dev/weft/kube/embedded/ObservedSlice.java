package dev.weft.kube.embedded;

import java.util.List;
import java.util.Map;

/**
 * An EndpointSlice as it is in the API, reduced to what the stand-ins manage.
 *
 * @param name its name
 * @param resourceVersion to update it with
 * @param ownerUid the uid of its controlling owner reference, or null
 * @param shape its address type and ports
 * @param endpoints its endpoints, in their order
 * @param labels its labels
 */
record ObservedSlice(
    String name,
    String resourceVersion,
    String ownerUid,
    SliceShape shape,
    List<SliceEndpoint> endpoints,
    Map<String, String> labels) {
  ObservedSlice {
    endpoints = List.copyOf(endpoints);
    labels = Map.copyOf(labels);
  }
}
