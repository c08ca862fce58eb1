package dev.weft.cli;

import dev.weft.api.security.ApiSecurity;
import dev.weft.api.security.BearerTokens;
import dev.weft.api.security.RateLimit;
import dev.weft.api.security.Role;
import dev.weft.api.security.TlsIdentity;
import dev.weft.api.security.TokenFile;
import java.nio.file.Path;
import picocli.CommandLine.Option;

/**
 * The {@code weft up} options that protect the config API: bearer tokens ({@code --token-file}),
 * HTTPS ({@code --tls-cert}, {@code --tls-key}) and limits ({@code --max-body-bytes}, {@code
 * --rate-limit}). The README's Security section describes them.
 */
final class ApiSecurityOptions {
  @Option(
      names = "--token-file",
      description =
          "Require bearer tokens: a private file of lines TOKEN ROLE [NAME], ROLE read-only or"
              + " read-write (required to listen beyond loopback)")
  Path tokenFile;

  @Option(
      names = "--tls-cert",
      description = "Serve HTTPS with this PEM certificate (chain); needs --tls-key")
  Path tlsCert;

  @Option(names = "--tls-key", description = "PEM private key of --tls-cert (a private file)")
  Path tlsKey;

  @Option(
      names = "--max-body-bytes",
      defaultValue = "1048576",
      description = "Largest request body; larger ones get 413 (default: ${DEFAULT-VALUE})")
  long maxBodyBytes;

  @Option(
      names = "--rate-limit",
      defaultValue = "50:100",
      description =
          "Requests a second per client address, and the burst allowed: RATE[:BURST] or off"
              + " (default: ${DEFAULT-VALUE}); more get 429 with Retry-After")
  String rateLimit;

  private TokenFile tokens;

  /** The tokens of {@code --token-file}, read once; null without one. */
  TokenFile tokens() {
    if (tokens == null && tokenFile != null) {
      tokens = TokenFile.read(tokenFile);
    }
    return tokens;
  }

  /**
   * The validated options.
   *
   * @throws IllegalArgumentException naming the flag at fault
   */
  ApiSecurity security() {
    if ((tlsCert == null) != (tlsKey == null)) {
      throw new IllegalArgumentException(
          "--tls-cert and --tls-key go together: give both (PEM certificate and its key) or"
              + " neither");
    }
    if (maxBodyBytes < 1) {
      throw new IllegalArgumentException(
          "--max-body-bytes " + maxBodyBytes + ": expected a positive number of bytes");
    }
    TokenFile file = tokens();
    return ApiSecurity.defaults()
        .withTokens(file == null ? null : BearerTokens.of(file))
        .withTls(tlsCert == null ? null : new TlsIdentity(tlsCert, tlsKey))
        .withMaxBodyBytes(maxBodyBytes)
        .withRateLimit(RateLimit.parse(rateLimit));
  }

  /**
   * A client for this process's own config API at {@code url} ({@code weft up --manifests}): with a
   * read-write token of the token file, trusting the certificate it serves.
   *
   * @throws IllegalArgumentException when the token file has no read-write token
   */
  ServerClient ownClient(String url) {
    String token = null;
    TokenFile file = tokens();
    if (file != null) {
      token =
          file.entries().stream()
              .filter(e -> e.principal().role() == Role.READ_WRITE)
              .map(TokenFile.Entry::token)
              .findFirst()
              .orElseThrow(
                  () ->
                      new IllegalArgumentException(
                          "--manifests needs a read-write token in --token-file " + tokenFile));
    }
    return new ServerClient(
        url, token, tlsCert == null ? null : TrustedCertificates.context(tlsCert));
  }

  /** How the config API is protected, for the start-up summary. */
  String describe() {
    TokenFile file = tokens();
    String auth =
        file == null
            ? "no token (loopback only)"
            : "bearer tokens from "
                + tokenFile
                + " ("
                + file.count(Role.READ_WRITE)
                + " read-write, "
                + file.count(Role.READ_ONLY)
                + " read-only)";
    return auth + (tlsCert == null ? "" : ", TLS " + tlsCert);
  }
}
