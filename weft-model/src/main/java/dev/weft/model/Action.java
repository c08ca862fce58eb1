package dev.weft.model;

import com.fasterxml.jackson.annotation.JsonCreator;
import com.fasterxml.jackson.annotation.JsonValue;
import java.util.Locale;

/** What a policy rule does with matching traffic. */
public enum Action {
  PASS,
  DENY;

  @JsonValue
  public String wire() {
    return name().toLowerCase(Locale.ROOT);
  }

  @JsonCreator
  public static Action parse(String text) {
    return switch (text == null ? "" : text.trim().toLowerCase(Locale.ROOT)) {
      case "pass", "allow" -> PASS;
      case "deny", "drop" -> DENY;
      default -> throw new IllegalArgumentException("action \"" + text + "\" is not pass or deny");
    };
  }
}
