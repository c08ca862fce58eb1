/**
 * Weft's REST config API, Contrail style: reads of every object type, writes of the objects users
 * own, declarative {@code weft/v1} apply and a passthrough to the attached Kubernetes cluster.
 * Start it with {@link dev.weft.api.ConfigApiServer}; {@link dev.weft.api.security} holds who may
 * use it and how much (tokens, roles, TLS, rate limit).
 */
package dev.weft.api;
