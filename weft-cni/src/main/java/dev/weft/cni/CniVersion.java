package dev.weft.cni;

import java.util.List;

/** The CNI spec versions this plugin speaks, and which commands each of them has. */
public enum CniVersion {
  V0_3_0("0.3.0"),
  V0_3_1("0.3.1"),
  V0_4_0("0.4.0"),
  V1_0_0("1.0.0"),
  V1_1_0("1.1.0");

  /** The version the plugin reports for VERSION and uses when the config's version is unknown. */
  public static final CniVersion LATEST = V1_1_0;

  private final String text;

  CniVersion(String text) {
    this.text = text;
  }

  /** The version as it appears in {@code cniVersion}. */
  public String text() {
    return text;
  }

  /** The supported version spelled {@code text}, or null. */
  public static CniVersion of(String text) {
    for (CniVersion v : values()) {
      if (v.text.equals(text)) {
        return v;
      }
    }
    return null;
  }

  /** Every supported version as text, oldest first. */
  public static List<String> supported() {
    return List.of("0.3.0", "0.3.1", "0.4.0", "1.0.0", "1.1.0");
  }

  /** True when results of this version carry {@code "version"} in each IP (before 1.0.0). */
  public boolean ipsCarryVersion() {
    return compareTo(V1_0_0) < 0;
  }

  /** The first version that has {@code command}. */
  public static CniVersion introducing(Command command) {
    return switch (command) {
      case CHECK -> V0_4_0;
      case STATUS, GC -> V1_1_0;
      default -> V0_3_0;
    };
  }

  /** True when this version has {@code command}. */
  public boolean has(Command command) {
    return compareTo(introducing(command)) >= 0;
  }
}
