package dev.weft.kube.embedded;

import java.util.List;

/**
 * What every endpoint of one EndpointSlice shares: its address type and its ports. Endpoints with
 * different shapes (another family, or a named target port resolved to another number) go to
 * different slices.
 *
 * @param addressType {@code IPv4} or {@code IPv6} ({@code FQDN} only when mirrored from elsewhere)
 * @param ports sorted, so that two slices with the same ports in another order compare equal
 */
record SliceShape(String addressType, List<SlicePort> ports) {
  SliceShape {
    ports = ports.stream().sorted(SlicePort.ORDER).toList();
  }
}
