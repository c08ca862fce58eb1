package dev.weft.control.policy;

import java.util.ArrayList;
import java.util.Arrays;
import java.util.HashSet;
import java.util.Iterator;
import java.util.List;
import java.util.NoSuchElementException;
import java.util.Set;
import java.util.function.Consumer;

/**
 * A set of engine objects (pods, groups, namespaces) compared by identity, small while it is small:
 * most of the engine's sets hold a handful of elements (a label value's pods in one namespace, a
 * pod's groups, a group's members), and a {@link HashSet} costs some 150 bytes before its first
 * element and a node per element. Up to {@value #SMALL} elements live in an array, scanned; beyond
 * that, in a hash set. Every element type it holds keeps {@link Object#equals} as identity, so the
 * two forms agree.
 *
 * <p>Not thread-safe; readers may share it while nothing changes it. Iteration order is
 * unspecified: nothing the engine produces depends on it.
 *
 * @param <T> the element type
 */
final class Bucket<T> implements Iterable<T> {
  static final int SMALL = 8;

  private Object[] small;
  private int size;
  private Set<T> large;

  boolean add(T t) {
    if (large != null) {
      return large.add(t);
    }
    for (int i = 0; i < size; i++) {
      if (small[i] == t) {
        return false;
      }
    }
    if (size == SMALL) {
      large = new HashSet<>(4 * SMALL);
      for (int i = 0; i < size; i++) {
        large.add(element(i));
      }
      large.add(t);
      small = null;
      size = 0;
      return true;
    }
    if (small == null) {
      small = new Object[2];
    } else if (size == small.length) {
      small = Arrays.copyOf(small, Math.min(2 * size, SMALL));
    }
    small[size++] = t;
    return true;
  }

  boolean remove(T t) {
    if (large != null) {
      return large.remove(t);
    }
    for (int i = 0; i < size; i++) {
      if (small[i] == t) {
        small[i] = small[--size];
        small[size] = null;
        return true;
      }
    }
    return false;
  }

  boolean contains(T t) {
    if (large != null) {
      return large.contains(t);
    }
    for (int i = 0; i < size; i++) {
      if (small[i] == t) {
        return true;
      }
    }
    return false;
  }

  int size() {
    return large != null ? large.size() : size;
  }

  boolean isEmpty() {
    return size() == 0;
  }

  /** Visits every element; {@code visit} must not change this bucket. */
  @Override
  public void forEach(Consumer<? super T> visit) {
    if (large != null) {
      large.forEach(visit);
      return;
    }
    for (int i = 0; i < size; i++) {
      visit.accept(element(i));
    }
  }

  /** Goes through the elements; nothing may change the bucket meanwhile. */
  @Override
  public Iterator<T> iterator() {
    if (large != null) {
      return large.iterator();
    }
    return new Iterator<>() {
      private int next;

      @Override
      public boolean hasNext() {
        return next < size;
      }

      @Override
      public T next() {
        if (next >= size) {
          throw new NoSuchElementException();
        }
        return element(next++);
      }
    };
  }

  /** A copy of the elements, for a caller that changes the bucket while going through them. */
  List<T> copy() {
    if (large != null) {
      return new ArrayList<>(large);
    }
    List<T> out = new ArrayList<>(size);
    for (int i = 0; i < size; i++) {
      out.add(element(i));
    }
    return out;
  }

  void clear() {
    small = null;
    size = 0;
    large = null;
  }

  @SuppressWarnings("unchecked")
  private T element(int i) {
    return (T) small[i];
  }
}
