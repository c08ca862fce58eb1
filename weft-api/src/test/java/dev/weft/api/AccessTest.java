package dev.weft.api;

import static org.assertj.core.api.Assertions.assertThat;

import dev.weft.api.security.Role;
import dev.weft.store.memory.MemoryConfigStore;
import dev.weft.store.objects.ObjectStore;
import io.vertx.core.http.HttpMethod;
import io.vertx.ext.web.Route;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Set;
import org.junit.jupiter.api.Test;

/**
 * Every route the config API registers is classified on purpose: a new endpoint that is not a plain
 * read, a collection create, or one of the POSTs listed here fails this test until someone decides
 * which role it needs (in {@link Access}) and lists it.
 */
class AccessTest {
  /** POSTs that only answer a question. */
  private static final Set<String> READ_ONLY_POSTS = Set.of("/fqname-to-id", "/id-to-fqname");

  /** POSTs that change objects and are not collection creates. */
  private static final Set<String> ACTION_POSTS =
      Set.of("/apply", "/delete", "/k8s/apply", "/k8s/delete");

  @Test
  void everyRouteNeedsTheRoleItsEffectCalls() {
    List<String> unclassified = new ArrayList<>();
    int checked = 0;
    try (MemoryConfigStore kv = new MemoryConfigStore();
        ObjectStore objects = new ObjectStore(kv);
        ConfigApiServer server = new ConfigApiServer(objects).start("127.0.0.1", 0)) {
      List<Route> routes = server.routes();
      Set<String> collections = new HashSet<>();
      for (Route r : routes) {
        if (r.getPath() != null && r.methods() != null && r.methods().contains(HttpMethod.GET)) {
          if (!r.getPath().contains(":")) {
            collections.add(r.getPath());
          }
        }
      }
      for (Route r : routes) {
        if (r.getPath() == null || r.methods() == null || r.methods().isEmpty()) {
          continue; // the handlers every request passes: guard, body, failure
        }
        for (HttpMethod method : r.methods()) {
          String path = r.getPath();
          Role expected;
          if (method.equals(HttpMethod.GET)) {
            expected = Role.READ_ONLY;
          } else if (method.equals(HttpMethod.POST) && READ_ONLY_POSTS.contains(path)) {
            expected = Role.READ_ONLY;
          } else if (method.equals(HttpMethod.POST)
              && (ACTION_POSTS.contains(path) || collections.contains(path))) {
            expected = Role.READ_WRITE;
          } else if ((method.equals(HttpMethod.PUT) || method.equals(HttpMethod.DELETE))
              && path.contains("/:uuid")) {
            expected = Role.READ_WRITE;
          } else {
            unclassified.add(method + " " + path);
            continue;
          }
          assertThat(Access.required(method, path)).as(method + " " + path).isEqualTo(expected);
          checked++;
        }
      }
    }
    assertThat(unclassified).as("routes nobody classified (see Access)").isEmpty();
    assertThat(checked).isGreaterThan(50);
  }

  @Test
  void methodsAndPathsNoEndpointServesNeedReadWrite() {
    assertThat(Access.required(HttpMethod.PATCH, "/virtual-networks")).isEqualTo(Role.READ_WRITE);
    assertThat(Access.required(HttpMethod.OPTIONS, "/")).isEqualTo(Role.READ_WRITE);
    assertThat(Access.required(HttpMethod.POST, "/fqname-to-id/x")).isEqualTo(Role.READ_WRITE);
    assertThat(Access.required(HttpMethod.HEAD, "/virtual-networks")).isEqualTo(Role.READ_ONLY);
  }
}
