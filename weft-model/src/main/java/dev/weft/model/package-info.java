/**
 * Weft's network object model: immutable records in Contrail vocabulary (projects, virtual
 * networks, interfaces, instance IPs, policies, floating IPs, load balancers), their names and
 * references. No I/O lives here.
 */
package dev.weft.model;
