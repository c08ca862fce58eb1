package dev.weft.kube.translate;

import java.util.Objects;

/**
 * Something about a Kubernetes object that Weft carried out as Kubernetes defines, but that a
 * person would want to know about (an {@code except} outside its {@code cidr}, a named port no pod
 * declares): recorded as a Warning Event, while the object takes effect.
 *
 * @param reason short CamelCase reason for the Event
 * @param message what was found, where, and what it means, for a person
 */
public record InputWarning(String reason, String message) {
  public InputWarning {
    Objects.requireNonNull(reason, "reason");
    Objects.requireNonNull(message, "message");
  }
}
