package dev.weft.kube.translate;

import dev.weft.model.Subnet;

/** An address given to a pod: which subnet it is in and which IPAM pool reserves it. */
public record PodAddress(String address, Subnet subnet, String pool) {}
