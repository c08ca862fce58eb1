package dev.weft.dataplane;

/**
 * One thing the dataplane did or decided about a packet.
 *
 * @param stage what kind of step: {@code source}, {@code flow}, {@code vrf}, {@code route}, {@code
 *     ecmp}, {@code nat}, {@code policy-out}, {@code policy-in} (the virtual networks' ACLs),
 *     {@code egress}, {@code ingress} (Kubernetes NetworkPolicy at the source and destination pod),
 *     {@code tunnel}, {@code deliver}, {@code drop}
 * @param detail the step in words, for a person
 */
public record Step(String stage, String detail) {}
