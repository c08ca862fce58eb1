/**
 * The node agent: {@link dev.weft.agent.node.NodeAgent} follows the config store read-only,
 * compiles and renders its node's state and keeps the kernel at it; {@link
 * dev.weft.agent.node.Introspection} shows what it knows and did over HTTP.
 */
package dev.weft.agent.node;
