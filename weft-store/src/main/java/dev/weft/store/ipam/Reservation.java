package dev.weft.store.ipam;

import dev.weft.model.Subnet;
import dev.weft.store.Compare;
import dev.weft.store.Operation;

/**
 * An address chosen for a holder but not yet committed: add {@link #guard()} and {@link #put()} to
 * the transaction that creates the object using it, then call {@link Ipam#settle}.
 */
public record Reservation(
    String pool, Subnet subnet, String address, Compare guard, Operation put) {}
