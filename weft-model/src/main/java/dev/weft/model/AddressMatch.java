package dev.weft.model;

/**
 * One end of a network-policy rule: a virtual network (by FQ name), {@code any}, or a subnet.
 * Exactly one of {@code virtualNetwork} and {@code subnet} is set, or neither for {@code any}.
 */
public record AddressMatch(FqName virtualNetwork, IpPrefix subnet) {
  public static final AddressMatch ANY = new AddressMatch(null, null);

  public AddressMatch {
    if (virtualNetwork != null && subnet != null) {
      throw new IllegalArgumentException(
          "a rule address names either a virtual network or a subnet, not both");
    }
  }

  public static AddressMatch network(FqName network) {
    return new AddressMatch(network, null);
  }

  @com.fasterxml.jackson.annotation.JsonIgnore
  public boolean isAny() {
    return virtualNetwork == null && subnet == null;
  }

  @Override
  public String toString() {
    return isAny() ? "any" : virtualNetwork != null ? virtualNetwork.toString() : subnet.toString();
  }
}
