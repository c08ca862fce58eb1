package dev.weft.store;

/**
 * Outcome of a transaction.
 *
 * @param succeeded whether every compare held (and the success branch was applied)
 * @param revision the store revision after the transaction (the new one if it wrote anything)
 */
public record TxnResult(boolean succeeded, long revision) {}
