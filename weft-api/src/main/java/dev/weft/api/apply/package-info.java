/**
 * Declarative {@code apiVersion: weft/v1} documents ({@code weft apply -f}): strict parsing into
 * Weft objects and create-or-replace by FQ name.
 */
package dev.weft.api.apply;
