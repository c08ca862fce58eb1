package dev.weft.api.security;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import java.io.IOException;
import java.nio.file.FileSystems;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class TokenFileTest {
  private static final String READER = "r3ad0nly-0123456789abcdef";
  private static final String WRITER = "wr1te-0123456789abcdef0123";

  @TempDir Path dir;

  @Test
  void linesGiveTokensRolesAndNamesAndCommentsAreIgnored() {
    TokenFile file =
        TokenFile.parse(
            "# who may use the config API\n\n"
                + READER
                + " read-only dashboards\n"
                + "   "
                + WRITER
                + "\tREAD-WRITE\n",
            "tokens");

    assertThat(file.entries())
        .extracting(TokenFile.Entry::principal)
        .containsExactly(
            new Principal("dashboards", Role.READ_ONLY),
            new Principal("token-line-4", Role.READ_WRITE));
    assertThat(file.count(Role.READ_ONLY)).isEqualTo(1);
  }

  @Test
  void mistakesNameTheLineButNeverTheToken() {
    assertThatThrownBy(() -> TokenFile.parse(READER + "\n", "tokens"))
        .hasMessage(
            "tokens line 1: expected TOKEN ROLE [NAME] (ROLE read-only or read-write),"
                + " found 1 field")
        .hasMessageNotContaining(READER);
    assertThatThrownBy(() -> TokenFile.parse("\n" + READER + " admin\n", "tokens"))
        .hasMessage("tokens line 2: role \"admin\" is not read-only or read-write")
        .hasMessageNotContaining(READER);
    assertThatThrownBy(() -> TokenFile.parse("short1234 read-only\n", "tokens"))
        .hasMessageContaining("line 1: the token has 9 characters, fewer than 16")
        .hasMessageNotContaining("short1234");
    assertThatThrownBy(() -> TokenFile.parse("abc\"defghijklmnopq read-only\n", "tokens"))
        .hasMessageContaining("characters a bearer token cannot have");
    assertThatThrownBy(
            () -> TokenFile.parse(READER + " read-only a\n" + READER + " read-write b\n", "tokens"))
        .hasMessage("tokens line 2: the same token as line 1; give every client its own token");
    assertThatThrownBy(
            () -> TokenFile.parse(READER + " read-only a\n" + WRITER + " read-write a\n", "tokens"))
        .hasMessage("tokens line 2: name \"a\" is already used on line 1");
    assertThatThrownBy(() -> TokenFile.parse("# nothing\n\n", "tokens"))
        .hasMessageContaining("tokens holds no token");
  }

  @Test
  void entriesDoNotPrintTheirToken() {
    TokenFile file = TokenFile.parse(READER + " read-only ci\n", "tokens");

    assertThat(file.entries().get(0).toString()).doesNotContain(READER).contains("ci");
    assertThat(file.toString()).doesNotContain(READER);
  }

  @Test
  void aFileEveryUserCanReadIsRefused() throws IOException {
    assumeTrue(FileSystems.getDefault().supportedFileAttributeViews().contains("posix"));
    Path tokens = Files.writeString(dir.resolve("tokens"), READER + " read-only\n");
    Files.setPosixFilePermissions(tokens, PosixFilePermissions.fromString("rw-r--r--"));

    assertThatThrownBy(() -> TokenFile.read(tokens))
        .isInstanceOf(IllegalArgumentException.class)
        .hasMessageContaining("token file " + tokens + " is open to every user")
        .hasMessageContaining("chmod 600");

    Files.setPosixFilePermissions(tokens, PosixFilePermissions.fromString("rw-r-----"));
    assertThat(TokenFile.read(tokens).entries()).hasSize(1);
  }

  @Test
  void aMissingFileIsNamed() {
    Path missing = dir.resolve("nope");

    assertThatThrownBy(() -> TokenFile.read(missing))
        .hasMessage("token file " + missing + " does not exist or is not a regular file");
  }
}
