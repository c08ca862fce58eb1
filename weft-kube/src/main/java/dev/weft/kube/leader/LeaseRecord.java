package dev.weft.kube.leader;

import java.time.Duration;
import java.time.Instant;

/**
 * What a Lease says: who holds it, for how long after each renewal, when it was taken and last
 * renewed (for people; expiry is judged by each candidate's own clock), and how often it changed
 * hands.
 *
 * @param holder the holder's identity, empty when released
 */
record LeaseRecord(
    String holder,
    int leaseDurationSeconds,
    Instant acquireTime,
    Instant renewTime,
    int transitions) {
  LeaseRecord {
    holder = holder == null ? "" : holder;
  }

  Duration leaseDuration() {
    return Duration.ofSeconds(Math.max(1, leaseDurationSeconds));
  }
}
