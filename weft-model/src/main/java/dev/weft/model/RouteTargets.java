package dev.weft.model;

/** Validation of route targets written {@code target:ASN:NUMBER} or {@code target:IP:NUMBER}. */
public final class RouteTargets {
  private RouteTargets() {}

  public static String requireValid(String rt) {
    String[] parts = rt == null ? new String[0] : rt.split(":");
    if (parts.length != 3 || !parts[0].equals("target")) {
      throw new IllegalArgumentException(
          "route target \"" + rt + "\" must look like target:64512:100 or target:10.0.0.1:100");
    }
    try {
      long number = Long.parseLong(parts[2]);
      if (parts[1].contains(".")) {
        IpPrefix.canonicalAddress(parts[1]);
        if (number < 0 || number > 0xFFFF) {
          throw new IllegalArgumentException("route target \"" + rt + "\": number out of range");
        }
      } else {
        long asn = Long.parseLong(parts[1]);
        if (asn < 0 || asn > 0xFFFFFFFFL || number < 0 || number > 0xFFFFFFFFL) {
          throw new IllegalArgumentException("route target \"" + rt + "\": value out of range");
        }
      }
    } catch (NumberFormatException e) {
      throw new IllegalArgumentException("route target \"" + rt + "\" has a non-numeric part");
    }
    return rt;
  }
}
