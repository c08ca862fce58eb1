package dev.weft.api.security;

import static org.assertj.core.api.Assertions.assertThat;

import org.junit.jupiter.api.Test;

class BearerTokensTest {
  private final BearerTokens tokens =
      BearerTokens.of(
          TokenFile.parse(
              "0123456789abcdef-reader read-only reader\n"
                  + "0123456789abcdef-writer read-write writer\n",
              "tokens"));

  @Test
  void aKnownTokenGivesItsPrincipal() {
    assertThat(tokens.authenticate("0123456789abcdef-reader"))
        .contains(new Principal("reader", Role.READ_ONLY));
    assertThat(tokens.authenticate("0123456789abcdef-writer"))
        .contains(new Principal("writer", Role.READ_WRITE));
  }

  @Test
  void prefixesExtensionsAndOtherCasesAreUnknown() {
    assertThat(tokens.authenticate("0123456789abcdef-reade")).isEmpty();
    assertThat(tokens.authenticate("0123456789abcdef-readerX")).isEmpty();
    assertThat(tokens.authenticate("0123456789ABCDEF-reader")).isEmpty();
    assertThat(tokens.authenticate("")).isEmpty();
    assertThat(tokens.authenticate(null)).isEmpty();
  }

  @Test
  void readWriteAllowsBothRolesReadOnlyOnlyReads() {
    assertThat(Role.READ_WRITE.allows(Role.READ_WRITE)).isTrue();
    assertThat(Role.READ_WRITE.allows(Role.READ_ONLY)).isTrue();
    assertThat(Role.READ_ONLY.allows(Role.READ_ONLY)).isTrue();
    assertThat(Role.READ_ONLY.allows(Role.READ_WRITE)).isFalse();
  }
}
