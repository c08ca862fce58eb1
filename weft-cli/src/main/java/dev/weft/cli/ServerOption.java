package dev.weft.cli;

import java.nio.file.Path;
import picocli.CommandLine.Option;

/**
 * The options shared by every command that talks to a running Weft: where it is ({@code --server}),
 * the bearer token to send ({@code --token-file}) and the CA to trust for an {@code https://}
 * server ({@code --ca-cert}).
 */
final class ServerOption {
  @Option(
      names = "--server",
      defaultValue = "${env:WEFT_SERVER:-http://127.0.0.1:8082}",
      description = "URL of a running Weft (default: ${DEFAULT-VALUE})")
  String server;

  @Option(
      names = "--token-file",
      defaultValue = "${env:WEFT_TOKEN_FILE}",
      description =
          "File holding the bearer token to send (its first field; the file must be private;"
              + " default: $WEFT_TOKEN_FILE)")
  Path tokenFile;

  @Option(
      names = "--ca-cert",
      defaultValue = "${env:WEFT_CA_CERT}",
      description =
          "PEM file of the CA (or self-signed certificate) to trust for an https:// server,"
              + " instead of the system's CAs (default: $WEFT_CA_CERT)")
  Path caCert;

  ServerClient client() {
    return new ServerClient(
        server,
        tokenFile == null ? null : ClientToken.read(tokenFile),
        caCert == null ? null : TrustedCertificates.context(caCert));
  }
}
