/**
 * The config API's rules, free of HTTP: JSON views of stored objects (Contrail's shapes with back
 * references and children), strict decoding of user bodies, validation and the guarded writes.
 */
package dev.weft.api.config;
