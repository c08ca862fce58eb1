package dev.weft.agent.linux;

import java.util.List;

/** The lines of an {@code nft -f} transaction on Weft's table. */
final class NftScript {
  private static final String T = Nft.FAMILY + " " + Nft.TABLE;

  /** Elements per {@code add element} line: keeps lines short without one line per element. */
  private static final int ELEMENTS_PER_LINE = 200;

  private NftScript() {}

  static String addChain(Nft.Chain c) {
    return "add chain "
        + T
        + " "
        + c.name()
        + (c.base() == null ? "" : " { " + c.base().declaration() + " }")
        + "\n";
  }

  static String addSet(Nft.Set s) {
    return "add " + s.kind() + " " + T + " " + s.name() + " { " + s.declaration() + " }\n";
  }

  static String addRule(String chain, String rule) {
    return "add rule "
        + T
        + " "
        + chain
        + " "
        + rule
        + " comment \""
        + Nft.Chain.comment(rule)
        + "\"\n";
  }

  static String flushChain(String chain) {
    return "flush chain " + T + " " + chain + "\n";
  }

  static String deleteChain(String chain) {
    return "delete chain " + T + " " + chain + "\n";
  }

  static String deleteSet(Nft.Set s) {
    return "delete " + s.kind() + " " + T + " " + s.name() + "\n";
  }

  static String deleteTable() {
    return "delete table " + T + "\n";
  }

  /** {@code verb} ({@code add} or {@code delete}) {@code elements} of {@code s}. */
  static String elements(String verb, Nft.Set s, List<Nft.Element> elements) {
    StringBuilder sb = new StringBuilder();
    for (int i = 0; i < elements.size(); i += ELEMENTS_PER_LINE) {
      List<Nft.Element> chunk =
          elements.subList(i, Math.min(elements.size(), i + ELEMENTS_PER_LINE));
      sb.append(verb).append(" element ").append(T).append(' ').append(s.name()).append(" { ");
      for (int j = 0; j < chunk.size(); j++) {
        if (j > 0) {
          sb.append(", ");
        }
        // A delete names the key only: the value is the kernel's to know.
        sb.append(verb.equals("delete") ? chunk.get(j).keyText() : chunk.get(j).text());
      }
      sb.append(" }\n");
    }
    return sb.toString();
  }
}
