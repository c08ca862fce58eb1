package dev.weft.api;

import dev.weft.api.security.Role;
import io.vertx.core.http.HttpMethod;
import java.util.Set;

/**
 * The role each config API request needs. Reads need {@link Role#READ_ONLY}; so do the two POSTs
 * that only look things up (they carry their question in a body). Every other request needs {@link
 * Role#READ_WRITE}, including methods and paths no endpoint serves: a new endpoint is a write until
 * it is listed here.
 *
 * <p>The endpoints, by role (see {@code AccessTest}, which checks every registered route):
 *
 * <ul>
 *   <li>read-only: {@code GET /}, {@code /healthz}, {@code /status}, {@code /COLLECTION}, {@code
 *       /TYPE/UUID}, {@code /k8s/KIND}, {@code /probe}, {@code /trace}, {@code
 *       /routing-instances[/NAME]}, {@code /node-ports}, {@code /policy-state}; {@code POST
 *       /fqname-to-id}, {@code /id-to-fqname}
 *   <li>read-write: {@code POST /COLLECTION}, {@code PUT} and {@code DELETE /TYPE/UUID}, {@code
 *       POST /apply}, {@code /delete}, {@code /k8s/apply}, {@code /k8s/delete}
 * </ul>
 */
final class Access {
  private static final Set<String> READ_ONLY_POSTS = Set.of("/fqname-to-id", "/id-to-fqname");

  private Access() {}

  /**
   * @param path the normalized path the router matches routes against
   */
  static Role required(HttpMethod method, String path) {
    if (method.equals(HttpMethod.GET) || method.equals(HttpMethod.HEAD)) {
      return Role.READ_ONLY;
    }
    if (method.equals(HttpMethod.POST) && READ_ONLY_POSTS.contains(path)) {
      return Role.READ_ONLY;
    }
    return Role.READ_WRITE;
  }
}
