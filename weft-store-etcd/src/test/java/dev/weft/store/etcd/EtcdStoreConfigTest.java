package dev.weft.store.etcd;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.util.List;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;
import org.junit.jupiter.params.provider.ValueSource;

class EtcdStoreConfigTest {

  @ParameterizedTest(name = "{0}")
  @CsvSource(
      delimiter = '|',
      value = {
        "etcd://127.0.0.1:2379                 | 127.0.0.1:2379                 | ''",
        "etcd://h1:2379,h2:2380,h3             | h1:2379;h2:2380;h3:2379         | ''",
        "etcd://h1:2379/                       | h1:2379                        | ''",
        "etcd://h1:2379/weft-a                 | h1:2379                        | /weft-a/",
        "etcd://h1:2379/clusters/a/            | h1:2379                        | /clusters/a/",
        "etcd://[::1]:2379,[fe80::1]           | [::1]:2379;[fe80::1]:2379       | ''",
        "etcd://h1:2379, h2:2379               | h1:2379;h2:2379                | ''",
      })
  void parsesEndpointsAndNamespace(String url, String endpoints, String namespace) {
    EtcdStoreConfig config = EtcdStoreConfig.parse(url);

    assertThat(config.endpoints()).isEqualTo(List.of(endpoints.split(";")));
    assertThat(config.namespace()).isEqualTo(namespace);
    assertThat(config.requestTimeout()).isEqualTo(EtcdStoreConfig.DEFAULT_REQUEST_TIMEOUT);
    assertThat(EtcdStoreConfig.parse(config.url())).isEqualTo(config);
  }

  @ParameterizedTest
  @ValueSource(
      strings = {
        "http://h1:2379",
        "etcd://",
        "etcd:///ns",
        "etcd://h1:2379,,h2:2379",
        "etcd://h1:port",
        "etcd://h1:0",
        "etcd://h1:70000",
        "etcd://::1:2379",
        "etcd://[::1:2379",
        "etcd://h1:2379?timeout=3s",
        "etcd://user:secret@h1:2379",
        "etcd://h1:2379/a//b",
      })
  void rejectsMalformedUrlsSayingWhatIsExpected(String url) {
    assertThatThrownBy(() -> EtcdStoreConfig.parse(url))
        .isInstanceOf(IllegalArgumentException.class)
        .hasMessageContaining(url)
        .hasMessageContaining("expected etcd://HOST:PORT[,HOST:PORT...][/NAMESPACE]");
  }

  @ParameterizedTest
  @ValueSource(strings = {"/a", "weft"})
  void aNamespaceMustEndWithASlashSoThatNoneIsThePrefixOfAnother(String namespace) {
    EtcdStoreConfig config = EtcdStoreConfig.of(List.of("h1:2379"));

    assertThatThrownBy(() -> config.withNamespace(namespace))
        .isInstanceOf(IllegalArgumentException.class)
        .hasMessageContaining("must end with \"/\"");
  }
}
