package dev.weft.api.apply;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.weft.api.config.ApiException;
import dev.weft.model.FqName;
import org.junit.jupiter.api.Test;

class WeftDocumentTest {
  private static final ObjectMapper JSON = new ObjectMapper();

  private static JsonNode json(String singleQuoted) throws Exception {
    return JSON.readTree(singleQuoted.replace('\'', '"'));
  }

  @Test
  void poolNamesContinueTheirNetwork() throws Exception {
    WeftDocument doc =
        WeftDocument.parse(
            json(
                "{'apiVersion': 'weft/v1', 'kind': 'FloatingIpPool', 'metadata': {'name':"
                    + " 'pool-1', 'project': 'k8s-ns-user-1', 'network': 'vn-public-1'}}"));

    assertThat(doc.fqName())
        .isEqualTo(FqName.of("default-domain", "k8s-ns-user-1", "vn-public-1", "pool-1"));
    assertThat(doc.spec()).isNull();
  }

  @Test
  void domainDefaultsAndCanBeGiven() throws Exception {
    WeftDocument doc =
        WeftDocument.parse(
            json(
                "{'apiVersion': 'weft/v1', 'kind': 'VirtualNetwork', 'metadata': {'name': 'vn',"
                    + " 'project': 'p', 'domain': 'other-domain'}}"));

    assertThat(doc.fqName()).isEqualTo(FqName.of("other-domain", "p", "vn"));
  }

  @Test
  void missingMetadataFieldsAreNamed() {
    assertThatThrownBy(
            () ->
                WeftDocument.parse(
                    json("{'apiVersion': 'weft/v1', 'kind': 'VirtualNetwork', 'metadata': {}}")))
        .isInstanceOf(ApiException.class)
        .hasMessage("metadata.name is required");
    assertThatThrownBy(
            () ->
                WeftDocument.parse(
                    json(
                        "{'apiVersion': 'weft/v1', 'kind': 'FloatingIpPool', 'metadata': {'name':"
                            + " 'p', 'project': 'k8s-default'}}")))
        .hasMessageStartingWith("metadata.network is required");
  }

  @Test
  void networkIsOnlyMetadataOfPools() {
    assertThatThrownBy(
            () ->
                WeftDocument.parse(
                    json(
                        "{'apiVersion': 'weft/v1', 'kind': 'VirtualNetwork', 'metadata': {'name':"
                            + " 'v', 'project': 'p', 'network': 'x'}}")))
        .hasMessageStartingWith("unknown field \"metadata.network\"");
  }

  @Test
  void namesMustBeUsableInFqNames() {
    assertThatThrownBy(
            () ->
                WeftDocument.parse(
                    json(
                        "{'apiVersion': 'weft/v1', 'kind': 'VirtualNetwork', 'metadata': {'name':"
                            + " 'a:b', 'project': 'p'}}")))
        .hasMessageContaining("metadata: an FQ name part must not contain ':'");
  }

  @Test
  void annotationValuesMustBeStrings() {
    assertThatThrownBy(
            () ->
                WeftDocument.parse(
                    json(
                        "{'apiVersion': 'weft/v1', 'kind': 'NetworkPolicy', 'metadata': {'name':"
                            + " 'n', 'project': 'p', 'annotations': {'replicas': 3}}}")))
        .hasMessageStartingWith("metadata.annotations.replicas must be a string");
  }

  @Test
  void policyNamesAreRelativeToTheProjectUnlessFullyQualified() {
    FqName project = FqName.of("default-domain", "k8s-default");

    assertThat(Specs.relative(project, "np-1"))
        .isEqualTo(FqName.of("default-domain", "k8s-default", "np-1"));
    assertThat(Specs.relative(project, "default-domain:k8s-other:np-1"))
        .isEqualTo(FqName.of("default-domain", "k8s-other", "np-1"));
    assertThatThrownBy(() -> Specs.relative(project, "k8s-other:np-1"))
        .isInstanceOf(IllegalArgumentException.class);
  }
}
