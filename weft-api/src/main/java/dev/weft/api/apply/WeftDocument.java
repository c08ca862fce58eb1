package dev.weft.api.apply;

import com.fasterxml.jackson.databind.JsonNode;
import dev.weft.api.config.ApiException;
import dev.weft.model.FqName;
import dev.weft.model.Names;
import java.util.Map;
import java.util.Objects;
import java.util.TreeMap;

/**
 * The envelope of one {@code apiVersion: weft/v1} document: its kind, metadata and (unparsed) spec.
 *
 * @param spec the {@code spec} mapping, or null when absent
 */
public record WeftDocument(Kind kind, Metadata metadata, JsonNode spec) {
  public static final String API_VERSION = "weft/v1";

  /**
   * Where the object lives.
   *
   * @param network the virtual network of a floating-IP pool; null for other kinds
   * @param annotations annotations the object gets; empty when none
   */
  public record Metadata(
      String name, String domain, String project, String network, Map<String, String> annotations) {
    public Metadata {
      Objects.requireNonNull(name, "name");
      Objects.requireNonNull(domain, "domain");
      Objects.requireNonNull(project, "project");
      annotations = annotations == null ? Map.of() : Map.copyOf(annotations);
    }

    public FqName projectFqName() {
      return FqName.of(domain, project);
    }
  }

  public WeftDocument {
    Objects.requireNonNull(kind, "kind");
    Objects.requireNonNull(metadata, "metadata");
  }

  /** The FQ name of the object the document describes. */
  public FqName fqName() {
    FqName project = metadata.projectFqName();
    return kind == Kind.FLOATING_IP_POOL
        ? project.child(metadata.network()).child(metadata.name())
        : project.child(metadata.name());
  }

  /** FQ name of the pool's network; only for {@link Kind#FLOATING_IP_POOL}. */
  public FqName networkFqName() {
    return metadata.projectFqName().child(metadata.network());
  }

  /** Reads the envelope strictly; the spec is checked by whoever builds the object. */
  public static WeftDocument parse(JsonNode json) {
    Fields doc = Fields.of(json, "").allow("apiVersion", "kind", "metadata", "spec");
    String apiVersion = doc.requiredText("apiVersion", " (weft/v1 for Weft objects)");
    if (!API_VERSION.equals(apiVersion)) {
      throw ApiException.badRequest(
          "apiVersion \""
              + apiVersion
              + "\" is not "
              + API_VERSION
              + "; Kubernetes objects go to the cluster (POST /k8s/apply), not to /apply");
    }
    Kind kind =
        Kind.parse(doc.requiredText("kind", " (VirtualNetwork, NetworkPolicy, FloatingIpPool)"));
    Fields meta = Fields.of(json.get("metadata"), "metadata").allow(allowedMetadata(kind));
    String name = meta.requiredText("name", "");
    String project =
        meta.requiredText(
            "project", " (the Weft project, such as k8s-default for Kubernetes namespace default)");
    String domain = meta.text("domain").orElse(Names.DEFAULT_DOMAIN);
    String network = null;
    if (kind == Kind.FLOATING_IP_POOL) {
      network =
          meta.requiredText("network", " (the virtual network the pool takes addresses from)");
    }
    Map<String, String> annotations = new TreeMap<>();
    JsonNode rawAnnotations = meta.get("annotations");
    if (rawAnnotations != null) {
      Fields.of(rawAnnotations, "metadata.annotations");
      for (Map.Entry<String, JsonNode> e : rawAnnotations.properties()) {
        if (!e.getValue().isTextual()) {
          throw ApiException.badRequest(
              "metadata.annotations."
                  + e.getKey()
                  + " must be a string (quote it), found "
                  + Fields.describe(e.getValue()));
        }
        annotations.put(e.getKey(), e.getValue().asText());
      }
    }
    JsonNode spec = doc.get("spec");
    if (spec != null) {
      Fields.of(spec, "spec");
    }
    WeftDocument parsed =
        new WeftDocument(kind, new Metadata(name, domain, project, network, annotations), spec);
    Fields.convert("metadata", json.get("metadata"), m -> parsed.fqName());
    return parsed;
  }

  private static String[] allowedMetadata(Kind kind) {
    return kind == Kind.FLOATING_IP_POOL
        ? new String[] {"name", "domain", "project", "network", "annotations"}
        : new String[] {"name", "domain", "project", "annotations"};
  }
}
