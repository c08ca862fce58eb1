package dev.weft.cli;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.util.OptionalInt;
import org.junit.jupiter.api.Test;

class ListenAddressTest {
  @Test
  void addressesWithAndWithoutPorts() {
    assertThat(ListenAddress.parse("127.0.0.1"))
        .isEqualTo(new ListenAddress("127.0.0.1", OptionalInt.empty()));
    assertThat(ListenAddress.parse("0.0.0.0:8443"))
        .isEqualTo(new ListenAddress("0.0.0.0", OptionalInt.of(8443)));
    assertThat(ListenAddress.parse("[::1]:8082"))
        .isEqualTo(new ListenAddress("::1", OptionalInt.of(8082)));
    assertThat(ListenAddress.parse("[::]")).isEqualTo(new ListenAddress("::", OptionalInt.empty()));
    assertThat(ListenAddress.parse("::")).isEqualTo(new ListenAddress("::", OptionalInt.empty()));
    assertThat(ListenAddress.parse("weft.example:9000"))
        .isEqualTo(new ListenAddress("weft.example", OptionalInt.of(9000)));
  }

  @Test
  void mistakesSayWhatIsExpected() {
    for (String bad : new String[] {":8082", "[::1", "[::1]x", "host:http", "host:70000", ""}) {
      assertThatThrownBy(() -> ListenAddress.parse(bad))
          .as(bad)
          .hasMessage(
              "--listen "
                  + bad
                  + ": expected ADDR[:PORT], such as 127.0.0.1, 0.0.0.0:8443, [::1]:8082 or ::");
    }
  }

  @Test
  void thePortComesFromListenOrPortButNotDifferentlyFromBoth() {
    assertThat(ListenAddress.parse("0.0.0.0:9000").port(8082, false)).isEqualTo(9000);
    assertThat(ListenAddress.parse("0.0.0.0").port(8083, true)).isEqualTo(8083);
    assertThat(ListenAddress.parse("0.0.0.0:9000").port(9000, true)).isEqualTo(9000);
    assertThatThrownBy(() -> ListenAddress.parse("0.0.0.0:9000").port(8083, true))
        .hasMessage("--listen gives port 9000 and --port 8083; give the port once");
  }
}
