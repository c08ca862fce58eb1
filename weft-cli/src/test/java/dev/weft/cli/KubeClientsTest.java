package dev.weft.cli;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.fabric8.kubernetes.client.Config;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.FileTime;
import java.time.Instant;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class KubeClientsTest {
  @TempDir Path dir;

  private Path kubeconfig(String clusterExtra, String user) throws IOException {
    return Files.writeString(
        dir.resolve("kubeconfig"),
        """
        apiVersion: v1
        kind: Config
        clusters:
        - name: prod
          cluster:
            server: https://k8s.example:6443
        %s
        contexts:
        - name: prod
          context: {cluster: prod, user: weft, namespace: weft-system}
        current-context: prod
        users:
        - name: weft
          user:
        %s
        """
            .formatted(clusterExtra, user));
  }

  @Test
  void aKubeconfigWithClientCertificatesIsUsedWithPathsRelativeToIt() throws IOException {
    Path file =
        kubeconfig(
            "    certificate-authority: ca.crt",
            "    client-certificate: certs/weft.crt\n    client-key: certs/weft.key");

    Config config = KubeClients.fromKubeconfig(file);

    assertThat(config.getMasterUrl()).startsWith("https://k8s.example:6443");
    assertThat(config.isTrustCerts()).isFalse();
    assertThat(config.isDisableHostnameVerification()).isFalse();
    assertThat(Path.of(config.getCaCertFile())).isEqualTo(dir.resolve("ca.crt").toAbsolutePath());
    assertThat(Path.of(config.getClientCertFile()))
        .isEqualTo(dir.resolve("certs/weft.crt").toAbsolutePath());
    assertThat(Path.of(config.getClientKeyFile()))
        .isEqualTo(dir.resolve("certs/weft.key").toAbsolutePath());
    assertThat(config.getNamespace()).isEqualTo("weft-system");
  }

  @Test
  void aKubeconfigThatSkipsTlsVerificationIsRefused() throws IOException {
    Path file = kubeconfig("    insecure-skip-tls-verify: true", "    token: abc");

    assertThatThrownBy(() -> KubeClients.fromKubeconfig(file))
        .isInstanceOf(IllegalArgumentException.class)
        .hasMessageStartingWith("--kubeconfig " + file + ": it turns off verification")
        .hasMessageContaining("give the cluster's CA instead");
  }

  @Test
  void aMissingKubeconfigIsNamed() {
    Path missing = dir.resolve("nope");

    assertThatThrownBy(() -> KubeClients.fromKubeconfig(missing))
        .hasMessage("--kubeconfig " + missing + " does not exist or is not a regular file");
  }

  @Test
  void inClusterUsesTheServiceAccountAndFollowsItsTokenAsItRotates() throws IOException {
    Path sa = Files.createDirectories(dir.resolve("serviceaccount"));
    Files.writeString(sa.resolve("token"), "first-token\n");
    Files.writeString(sa.resolve("ca.crt"), "not parsed until the first request\n");
    Files.writeString(sa.resolve("namespace"), "kube-system");

    Config config =
        KubeClients.inCluster(
            Map.of("KUBERNETES_SERVICE_HOST", "10.96.0.1", "KUBERNETES_SERVICE_PORT", "443"), sa);

    assertThat(config.getMasterUrl()).startsWith("https://10.96.0.1:443");
    assertThat(Path.of(config.getCaCertFile())).isEqualTo(sa.resolve("ca.crt").toAbsolutePath());
    assertThat(config.getNamespace()).isEqualTo("kube-system");
    assertThat(config.isTrustCerts()).isFalse();
    assertThat(config.getOauthTokenProvider().getToken()).isEqualTo("first-token");
    assertThat(config.getOauthTokenProvider().toString()).doesNotContain("first-token");

    Files.writeString(sa.resolve("token"), "second-token\n");
    Files.setLastModifiedTime(sa.resolve("token"), FileTime.from(Instant.now().plusSeconds(60)));
    assertThat(config.getOauthTokenProvider().getToken()).isEqualTo("second-token");
  }

  @Test
  void inClusterOnIpv6BracketsTheAddress() throws IOException {
    Path sa = Files.createDirectories(dir.resolve("sa6"));
    Files.writeString(sa.resolve("token"), "t");
    Files.writeString(sa.resolve("ca.crt"), "c");

    Config config =
        KubeClients.inCluster(
            Map.of("KUBERNETES_SERVICE_HOST", "fd00::1", "KUBERNETES_SERVICE_PORT", "443"), sa);

    assertThat(config.getMasterUrl()).startsWith("https://[fd00::1]:443");
  }

  @Test
  void inClusterOutsideAPodOrWithoutTheServiceAccountSaysSo() throws IOException {
    Path sa = Files.createDirectories(dir.resolve("empty"));
    Map<String, String> env =
        Map.of("KUBERNETES_SERVICE_HOST", "10.96.0.1", "KUBERNETES_SERVICE_PORT", "443");

    assertThatThrownBy(() -> KubeClients.inCluster(Map.of(), sa))
        .hasMessageContaining("KUBERNETES_SERVICE_HOST and KUBERNETES_SERVICE_PORT are not set");
    assertThatThrownBy(() -> KubeClients.inCluster(env, sa))
        .hasMessageContaining("no service-account token at " + sa.resolve("token"));
    Files.writeString(sa.resolve("token"), "t");
    assertThatThrownBy(() -> KubeClients.inCluster(env, sa))
        .hasMessageContaining("no cluster CA at " + sa.resolve("ca.crt"));
  }

  @Test
  void inClusterAndAKubeconfigExcludeEachOther() {
    assertThatThrownBy(
            () ->
                new WeftServer.Options(
                    dir,
                    "127.0.0.1",
                    0,
                    dir.resolve("kubeconfig"),
                    0,
                    null,
                    dev.weft.kube.ClusterConfig.defaults(),
                    java.util.List.of(),
                    1,
                    true,
                    null))
        .hasMessage("--in-cluster and --kubeconfig exclude each other: give one");
  }
}
