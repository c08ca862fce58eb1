package dev.weft.kube.embedded;

import io.fabric8.kubernetes.client.server.mock.KubernetesCrudDispatcher;
import io.fabric8.mockwebserver.crud.Attribute;
import io.fabric8.mockwebserver.crud.AttributeSet;
import io.fabric8.mockwebserver.crud.CrudDispatcher;
import java.lang.reflect.Field;
import java.util.AbstractMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;

/**
 * The mock server's CRUD dispatcher with an index by object name. The stock one finds the object a
 * request names by scanning every stored object, which makes each create, patch and update cost
 * O(objects): tens of milliseconds per request at 20,000 pods. With the index a named lookup costs
 * O(objects with that name).
 *
 * <p>The stock dispatcher only ever writes its map through {@code put}, {@code remove} and {@code
 * clear}, all under its own lock; the index follows those three.
 */
final class IndexedCrudDispatcher extends KubernetesCrudDispatcher {
  private final Map<String, Set<AttributeSet>> byName = new ConcurrentHashMap<>();

  IndexedCrudDispatcher() {
    super(List.of());
    try {
      Field field = CrudDispatcher.class.getDeclaredField("map");
      field.setAccessible(true);
      field.set(this, new IndexedMap());
    } catch (ReflectiveOperationException | RuntimeException e) {
      // A fabric8 upgrade changed the internals: fall back to the (slow, correct) scan.
      org.slf4j.LoggerFactory.getLogger(IndexedCrudDispatcher.class)
          .warn("embedded Kubernetes API runs without its name index: {}", e.toString());
    }
  }

  private boolean indexed() {
    return map instanceof IndexedMap;
  }

  static String name(AttributeSet set) {
    Attribute a = set.getAttribute("name");
    if (a == null || a.getValues() == null || a.getValues().size() != 1) {
      return null;
    }
    return a.getValues().get(0).toString();
  }

  @Override
  public Map.Entry<AttributeSet, String> findResource(AttributeSet query) {
    String name = name(query);
    if (name == null || !indexed()) {
      return super.findResource(query);
    }
    Set<AttributeSet> candidates = byName.get(name);
    if (candidates == null) {
      return null;
    }
    for (AttributeSet candidate : candidates) {
      if (candidate.matches(query)) {
        String value = map.get(candidate);
        if (value != null) {
          return new AbstractMap.SimpleImmutableEntry<>(candidate, value);
        }
      }
    }
    return null;
  }

  /** The dispatcher's map, keeping the name index in step. */
  private final class IndexedMap extends LinkedHashMap<AttributeSet, String> {
    private static final long serialVersionUID = 1L;

    @Override
    public String put(AttributeSet key, String value) {
      String name = name(key);
      if (name != null) {
        byName.computeIfAbsent(name, n -> ConcurrentHashMap.newKeySet()).add(key);
      }
      return super.put(key, value);
    }

    @Override
    public String remove(Object key) {
      String previous = super.remove(key);
      if (key instanceof AttributeSet set) {
        String name = name(set);
        if (name != null) {
          byName.computeIfPresent(
              name,
              (n, s) -> {
                s.remove(set);
                return s.isEmpty() ? null : s;
              });
        }
      }
      return previous;
    }

    @Override
    public void clear() {
      super.clear();
      byName.clear();
    }
  }
}
