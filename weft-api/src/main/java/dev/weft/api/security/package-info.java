/**
 * Who may use the config API and how much: bearer tokens with read-only and read-write roles read
 * from a token file, a per-client token-bucket rate limit, the TLS identity the server presents and
 * the checks on the files that hold these secrets. Free of HTTP; {@link
 * dev.weft.api.ConfigApiServer} applies them to every request.
 */
package dev.weft.api.security;
