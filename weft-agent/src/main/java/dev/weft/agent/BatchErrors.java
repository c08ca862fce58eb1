package dev.weft.agent;

import java.util.ArrayList;
import java.util.List;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * The input lines a batch run reports as failing: {@code ip -batch -} and {@code bridge -batch -}
 * print {@code Command failed -:N}, {@code nft -f -} prints {@code /dev/stdin:N:...}; either way
 * the line number of the input, which a person needs to see next to the error.
 */
final class BatchErrors {
  private static final Pattern IP = Pattern.compile("Command failed -:(\\d+)");
  private static final Pattern NFT = Pattern.compile("(?m)^(?:/dev/stdin|-):(\\d+):");

  private BatchErrors() {}

  static List<String> failingLines(Shell.Result r) {
    if (r.stdin() == null || r.stdin().isEmpty()) {
      return List.of();
    }
    String[] lines = r.stdin().split("\n", -1);
    List<String> out = new ArrayList<>();
    for (Pattern p : new Pattern[] {IP, NFT}) {
      Matcher m = p.matcher(r.stderr());
      while (m.find()) {
        int n = Integer.parseInt(m.group(1));
        if (n >= 1 && n <= lines.length) {
          String line = n + ": " + lines[n - 1];
          if (!out.contains(line)) {
            out.add(line);
          }
        }
      }
    }
    return out;
  }
}
