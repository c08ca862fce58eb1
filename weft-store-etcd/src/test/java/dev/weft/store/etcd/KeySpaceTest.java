package dev.weft.store.etcd;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.etcd.jetcd.ByteSequence;
import java.nio.charset.StandardCharsets;
import org.junit.jupiter.api.Test;

class KeySpaceTest {
  private static byte[] bytes(int... values) {
    byte[] out = new byte[values.length];
    for (int i = 0; i < values.length; i++) {
      out[i] = (byte) values[i];
    }
    return out;
  }

  private static ByteSequence utf8(String s) {
    return ByteSequence.from(s, StandardCharsets.UTF_8);
  }

  @Test
  void aPrefixEndsAtItsLastByteIncrementedPastTrailingFfs() {
    assertThat(KeySpace.prefixEnd(bytes('a'))).containsExactly('b');
    assertThat(KeySpace.prefixEnd(bytes('a', 0xFF, 0xFF))).containsExactly('b');
    assertThat(KeySpace.prefixEnd(bytes('a', 0xFE))).containsExactly('a', 0xFF);
    assertThat(KeySpace.prefixEnd(bytes(0xFF, 0xFF))).containsExactly(0);
    assertThat(KeySpace.prefixEnd(bytes())).containsExactly(0);
  }

  @Test
  void withoutANamespaceTheEmptyPrefixIsTheWholeKeySpace() {
    KeySpace keys = new KeySpace("");

    assertThat(keys.rangeStart("").getBytes()).containsExactly(0);
    assertThat(keys.rangeEnd("").getBytes()).containsExactly(0);
    assertThat(keys.key("a/b")).isEqualTo(utf8("a/b"));
    assertThat(keys.decode(utf8("a/b"))).isEqualTo("a/b");
  }

  @Test
  void aNamespaceIsPutBeforeEveryKeyAndBoundsEveryRange() {
    KeySpace keys = new KeySpace("/ns/");

    assertThat(keys.key("/weft/x")).isEqualTo(utf8("/ns//weft/x"));
    assertThat(keys.rangeStart("")).isEqualTo(utf8("/ns/"));
    assertThat(keys.rangeEnd("")).isEqualTo(utf8("/ns0"));
    assertThat(keys.rangeEnd("a")).isEqualTo(utf8("/ns/b"));
    assertThat(keys.probeKey()).isEqualTo(utf8("/ns/"));
    assertThat(keys.decode(utf8("/ns/é"))).isEqualTo("é");
    assertThatThrownBy(() -> keys.decode(utf8("/other/x")))
        .isInstanceOf(IllegalStateException.class)
        .hasMessageContaining("outside namespace");
  }

  @Test
  void pagingResumesJustAfterTheLastKeyRead() {
    assertThat(KeySpace.after(utf8("a")).getBytes()).containsExactly('a', 0);
  }
}
