package dev.weft.cli;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.dataformat.yaml.YAMLMapper;
import dev.weft.kube.ClusterConfig;
import dev.weft.model.FqName;
import dev.weft.model.IpPrefix;
import java.io.IOException;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Iterator;
import java.util.List;
import java.util.Set;

/**
 * Weft's configuration file ({@code --config FILE}, YAML), read at the edge into typed values:
 *
 * <pre>
 * clusterName: k8s
 * podSubnets: [10.32.0.0/12]
 * serviceSubnets: [10.96.0.0/12]
 * fabricSubnets: [10.64.0.0/12]
 * publicFipPool: default-domain:k8s-default:vn-public:pool-public
 * nodes: [node-1, node-2]
 * </pre>
 *
 * Command-line flags override the file.
 */
record WeftSettings(ClusterConfig cluster, List<String> nodes) {
  private static final Set<String> KEYS =
      Set.of(
          "clusterName", "podSubnets", "serviceSubnets", "fabricSubnets", "publicFipPool", "nodes");

  static WeftSettings defaults() {
    return new WeftSettings(ClusterConfig.defaults(), List.of("node-1", "node-2"));
  }

  static WeftSettings read(Path file) throws IOException {
    JsonNode root = new YAMLMapper().readTree(file.toFile());
    WeftSettings s = defaults();
    if (root == null || root.isNull() || root.isMissingNode()) {
      return s;
    }
    if (!root.isObject()) {
      throw new IllegalArgumentException(file + ": expected a YAML mapping of settings");
    }
    for (Iterator<String> it = root.fieldNames(); it.hasNext(); ) {
      String k = it.next();
      if (!KEYS.contains(k)) {
        throw new IllegalArgumentException(
            file + ": unknown setting \"" + k + "\"; known: " + KEYS);
      }
    }
    ClusterConfig c = s.cluster();
    try {
      if (root.has("clusterName")) {
        c = c.withName(root.get("clusterName").asText());
      }
      if (root.has("podSubnets")) {
        c = c.withPodSubnets(prefixes(root.get("podSubnets")));
      }
      if (root.has("serviceSubnets")) {
        c = c.withServiceSubnets(prefixes(root.get("serviceSubnets")));
      }
      if (root.has("fabricSubnets")) {
        c =
            new ClusterConfig(
                c.name(),
                c.podSubnets(),
                c.serviceSubnets(),
                prefixes(root.get("fabricSubnets")),
                c.publicFipPool());
      }
      if (root.has("publicFipPool")) {
        c = c.withPublicFipPool(FqName.parse(root.get("publicFipPool").asText()));
      }
    } catch (IllegalArgumentException e) {
      throw new IllegalArgumentException(file + ": " + e.getMessage(), e);
    }
    List<String> nodes = s.nodes();
    if (root.has("nodes")) {
      nodes = new ArrayList<>();
      for (JsonNode n : root.get("nodes")) {
        nodes.add(n.asText());
      }
    }
    return new WeftSettings(c, nodes);
  }

  static List<IpPrefix> prefixes(JsonNode node) {
    List<IpPrefix> out = new ArrayList<>();
    if (node.isTextual()) {
      for (String p : node.asText().split(",")) {
        out.add(IpPrefix.parse(p.trim()));
      }
      return out;
    }
    for (JsonNode n : node) {
      out.add(IpPrefix.parse(n.asText()));
    }
    return out;
  }
}
