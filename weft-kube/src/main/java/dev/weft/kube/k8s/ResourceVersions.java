package dev.weft.kube.k8s;

/**
 * Comparisons of Kubernetes resourceVersions. They are opaque strings by contract; the API server
 * (etcd revisions) and the fabric8 mock server both hand out increasing integers, so two that both
 * parse as numbers are compared as numbers, and anything else only for equality.
 */
final class ResourceVersions {
  private ResourceVersions() {}

  /** Whether an object seen at {@code seen} is at least as new as one at {@code wanted}. */
  static boolean atLeast(String seen, String wanted) {
    if (seen == null) {
      return false;
    }
    if (wanted == null || seen.equals(wanted)) {
      return true;
    }
    long s = parse(seen);
    long w = parse(wanted);
    return s >= 0 && w >= 0 && s >= w;
  }

  /**
   * Whether {@code seen} is strictly newer than the list (or event) at {@code than}; false when
   * either cannot be compared, so an uncomparable version never passes for "newer".
   */
  static boolean newer(String seen, String than) {
    if (seen == null || than == null) {
      return false;
    }
    long s = parse(seen);
    long t = parse(than);
    return s >= 0 && t >= 0 && s > t;
  }

  /** The version as a non-negative number, or -1 when it is not one. */
  private static long parse(String version) {
    if (version.isEmpty() || version.length() > 18) {
      return -1;
    }
    long value = 0;
    for (int i = 0; i < version.length(); i++) {
      char c = version.charAt(i);
      if (c < '0' || c > '9') {
        return -1;
      }
      value = value * 10 + (c - '0');
    }
    return value;
  }
}
