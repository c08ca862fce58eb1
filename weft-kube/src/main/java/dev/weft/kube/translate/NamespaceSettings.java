package dev.weft.kube.translate;

import dev.weft.model.FqName;

/**
 * A namespace's networking settings, read from its annotations.
 *
 * @param isolated {@code opencontrail.org/isolation: "true"}
 * @param serviceIsolated services reachable only from the namespace (default when isolated); {@code
 *     opencontrail.org/isolation.service: "false"} opens them
 * @param network {@code opencontrail.org/network}, or null
 * @param fipPool {@code opencontrail.org/fip-pool}, or null
 */
public record NamespaceSettings(
    boolean isolated, boolean serviceIsolated, FqName network, FqName fipPool) {

  /**
   * Reads the settings; throws {@link InputException} naming the namespace and annotation when one
   * is malformed.
   */
  public static NamespaceSettings of(NamespaceInfo ns) {
    String where = "namespace \"" + ns.name() + "\"";
    var a = ns.annotations();
    boolean isolated =
        KubeAnnotations.bool(
            where, KubeAnnotations.ISOLATION, a.get(KubeAnnotations.ISOLATION), false);
    boolean serviceIsolated =
        KubeAnnotations.bool(
            where,
            KubeAnnotations.SERVICE_ISOLATION,
            a.get(KubeAnnotations.SERVICE_ISOLATION),
            isolated);
    FqName network =
        a.containsKey(KubeAnnotations.NETWORK)
            ? KubeAnnotations.network(
                where, KubeAnnotations.NETWORK, a.get(KubeAnnotations.NETWORK))
            : null;
    FqName pool =
        a.containsKey(KubeAnnotations.FIP_POOL)
            ? KubeAnnotations.fipPool(
                where, KubeAnnotations.FIP_POOL, a.get(KubeAnnotations.FIP_POOL))
            : null;
    return new NamespaceSettings(isolated, isolated && serviceIsolated, network, pool);
  }
}
