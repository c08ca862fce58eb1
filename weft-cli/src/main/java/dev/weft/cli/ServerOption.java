package dev.weft.cli;

import picocli.CommandLine.Option;

/** The {@code --server} option shared by every command that talks to a running Weft. */
final class ServerOption {
  @Option(
      names = "--server",
      defaultValue = "${env:WEFT_SERVER:-http://127.0.0.1:8082}",
      description = "URL of a running Weft (default: ${DEFAULT-VALUE})")
  String server;

  ServerClient client() {
    return new ServerClient(server);
  }
}
