package dev.weft.kube.translate;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.weft.model.FqName;
import dev.weft.model.IpPrefix;
import dev.weft.model.Names;
import java.util.ArrayList;
import java.util.Iterator;
import java.util.List;
import java.util.Locale;
import java.util.Set;

/**
 * The annotations Weft reads from Kubernetes objects, parsed at the edge into typed values. Every
 * parse error names the object, the annotation, what was expected and what was found.
 */
public final class KubeAnnotations {
  public static final String ISOLATION = "opencontrail.org/isolation";
  public static final String SERVICE_ISOLATION = "opencontrail.org/isolation.service";
  public static final String NETWORK = "opencontrail.org/network";
  public static final String FIP_POOL = "opencontrail.org/fip-pool";

  /** Fixed addresses for a pod, comma separated (at most one per family). */
  public static final String IP_ADDRESS = "weft.dev/ip-address";

  /** Written by Weft on pods, in the Multus / network-status format. */
  public static final String NETWORK_STATUS = "k8s.v1.cni.cncf.io/network-status";

  private static final ObjectMapper JSON = new ObjectMapper();

  private KubeAnnotations() {}

  /** Parses a boolean annotation: {@code "true"} or {@code "false"} (any case); absent = dflt. */
  public static boolean bool(String where, String annotation, String value, boolean dflt) {
    if (value == null) {
      return dflt;
    }
    return switch (value.trim().toLowerCase(Locale.ROOT)) {
      case "true" -> true;
      case "false" -> false;
      default ->
          throw new InputException(
              "InvalidAnnotation",
              where
                  + ": annotation "
                  + annotation
                  + ": expected \"true\" or \"false\", found \""
                  + value
                  + "\"");
    };
  }

  /**
   * Parses a network reference: a JSON object {@code {"domain": ..., "project": ..., "name": ...}}
   * (domain defaults to {@code default-domain}) or, for convenience, {@code domain:project:name}.
   */
  public static FqName network(String where, String annotation, String value) {
    return fq(where, annotation, value, List.of("domain", "project", "name"));
  }

  /** Parses a floating-IP pool reference: {@code {"domain","project","network","name"}}. */
  public static FqName fipPool(String where, String annotation, String value) {
    return fq(where, annotation, value, List.of("domain", "project", "network", "name"));
  }

  private static FqName fq(String where, String annotation, String value, List<String> fields) {
    String prefix = where + ": annotation " + annotation + ": ";
    String example =
        "{"
            + String.join(
                ", ",
                fields.stream()
                    .map(
                        f ->
                            "\""
                                + f
                                + "\": \""
                                + (f.equals("domain") ? Names.DEFAULT_DOMAIN : "...")
                                + "\"")
                    .toList())
            + "}";
    String text = value == null ? "" : value.trim();
    if (text.isEmpty()) {
      throw new InputException("InvalidAnnotation", prefix + "is empty; expected " + example);
    }
    try {
      if (!text.startsWith("{")) {
        FqName fq = FqName.parse(text);
        if (fq.parts().size() != fields.size()) {
          throw new IllegalArgumentException(
              "expected " + fields.size() + " parts " + String.join(":", fields));
        }
        return fq;
      }
      JsonNode node = JSON.readTree(text);
      if (!node.isObject()) {
        throw new IllegalArgumentException("not a JSON object");
      }
      Set<String> known = Set.copyOf(fields);
      for (Iterator<String> it = node.fieldNames(); it.hasNext(); ) {
        String f = it.next();
        if (!known.contains(f)) {
          throw new IllegalArgumentException("unknown field \"" + f + "\"");
        }
      }
      List<String> parts = new ArrayList<>();
      for (String f : fields) {
        JsonNode v = node.get(f);
        if (v == null && f.equals("domain")) {
          parts.add(Names.DEFAULT_DOMAIN);
          continue;
        }
        if (v == null || !v.isTextual() || v.asText().isBlank()) {
          throw new IllegalArgumentException("field \"" + f + "\" is missing or not a string");
        }
        parts.add(v.asText().trim());
      }
      return new FqName(parts);
    } catch (com.fasterxml.jackson.core.JsonProcessingException e) {
      throw new InputException(
          "InvalidAnnotation",
          prefix + "is not valid JSON (" + e.getOriginalMessage() + "); expected " + example);
    } catch (IllegalArgumentException e) {
      throw new InputException(
          "InvalidAnnotation", prefix + e.getMessage() + "; expected " + example);
    }
  }

  /** Parses the fixed-address annotation into canonical addresses, at most one per family. */
  public static List<String> fixedAddresses(String where, String value) {
    if (value == null || value.isBlank()) {
      return List.of();
    }
    List<String> out = new ArrayList<>();
    boolean v4 = false;
    boolean v6 = false;
    for (String part : value.split(",")) {
      String address;
      try {
        address = IpPrefix.canonicalAddress(part.trim());
      } catch (IllegalArgumentException e) {
        throw new InputException(
            "InvalidAnnotation",
            where
                + ": annotation "
                + IP_ADDRESS
                + ": \""
                + part.trim()
                + "\" is not an IP address");
      }
      boolean isV6 = address.contains(":");
      if ((isV6 && v6) || (!isV6 && v4)) {
        throw new InputException(
            "InvalidAnnotation",
            where + ": annotation " + IP_ADDRESS + ": at most one address per family");
      }
      v4 |= !isV6;
      v6 |= isV6;
      out.add(address);
    }
    return out;
  }
}
