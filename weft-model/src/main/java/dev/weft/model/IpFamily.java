package dev.weft.model;

import com.fasterxml.jackson.annotation.JsonValue;

/** Address family of an instance IP, subnet or floating IP. */
public enum IpFamily {
  V4("v4"),
  V6("v6");

  private final String wire;

  IpFamily(String wire) {
    this.wire = wire;
  }

  @JsonValue
  public String wire() {
    return wire;
  }
}
