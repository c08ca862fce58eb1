package dev.weft.kube.leader;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.Objects;
import java.util.UUID;

/**
 * Where the kube-managers of one cluster elect their leader (a Lease {@code namespace/name}), who
 * this one is, and the timings: a leader renews every {@code retryPeriod} and stops leading when it
 * has not renewed for {@code renewDeadline}; a candidate takes the Lease over once it has seen it
 * unchanged for {@code leaseDuration}.
 *
 * <p>Failover after a leader is killed takes about {@code leaseDuration} plus up to two {@code
 * retryPeriod}s (the candidate's last look at the renewal, and its next try), plus a resync. The
 * defaults (10 s, 7 s, 1 s) keep that under 15 s.
 */
public record LeaderElectionConfig(
    String namespace,
    String name,
    String identity,
    Duration leaseDuration,
    Duration renewDeadline,
    Duration retryPeriod) {
  public static final String DEFAULT_NAMESPACE = "kube-system";
  public static final String DEFAULT_NAME = "weft-kube-manager";
  public static final Duration DEFAULT_LEASE_DURATION = Duration.ofSeconds(10);
  public static final Duration DEFAULT_RENEW_DEADLINE = Duration.ofSeconds(7);
  public static final Duration DEFAULT_RETRY_PERIOD = Duration.ofSeconds(1);

  /**
   * @throws IllegalArgumentException unless {@code 0 < retryPeriod < renewDeadline <
   *     leaseDuration}, the lease lasting whole seconds (as a Lease records it)
   */
  public LeaderElectionConfig {
    Objects.requireNonNull(namespace, "namespace");
    Objects.requireNonNull(name, "name");
    Objects.requireNonNull(identity, "identity");
    if (identity.isBlank()) {
      throw new IllegalArgumentException("leader election: the identity must not be blank");
    }
    if (leaseDuration.toMillis() % 1000 != 0 || leaseDuration.toSeconds() < 1) {
      throw new IllegalArgumentException(
          "leader election: the lease duration must be whole seconds, at least 1 s, not "
              + leaseDuration);
    }
    if (retryPeriod.isNegative()
        || retryPeriod.isZero()
        || retryPeriod.compareTo(renewDeadline) >= 0
        || renewDeadline.compareTo(leaseDuration) >= 0) {
      throw new IllegalArgumentException(
          "leader election: expected 0 < retry period < renew deadline < lease duration, found "
              + retryPeriod
              + ", "
              + renewDeadline
              + ", "
              + leaseDuration);
    }
  }

  /** The Lease {@code kube-system/weft-kube-manager}, this process's identity, default timings. */
  public static LeaderElectionConfig defaults() {
    return new LeaderElectionConfig(
        DEFAULT_NAMESPACE,
        DEFAULT_NAME,
        defaultIdentity(),
        DEFAULT_LEASE_DURATION,
        DEFAULT_RENEW_DEADLINE,
        DEFAULT_RETRY_PERIOD);
  }

  public LeaderElectionConfig withTimings(
      Duration leaseDuration, Duration renewDeadline, Duration retryPeriod) {
    return new LeaderElectionConfig(
        namespace, name, identity, leaseDuration, renewDeadline, retryPeriod);
  }

  public LeaderElectionConfig withLease(String namespace, String name) {
    return new LeaderElectionConfig(
        namespace, name, identity, leaseDuration, renewDeadline, retryPeriod);
  }

  /**
   * {@code HOST_PID_RANDOM}: unique per process run, so a restarted process on the same host is a
   * new candidate (it cannot mistake its predecessor's Lease for its own), and readable in logs.
   */
  public static String defaultIdentity() {
    return hostname()
        + "_"
        + ProcessHandle.current().pid()
        + "_"
        + UUID.randomUUID().toString().substring(0, 8);
  }

  private static String hostname() {
    String env = System.getenv("HOSTNAME");
    if (env != null && !env.isBlank()) {
      return env.trim();
    }
    // Not InetAddress.getLocalHost(): that can wait on DNS.
    try {
      return Files.readString(Path.of("/proc/sys/kernel/hostname"), StandardCharsets.UTF_8).trim();
    } catch (IOException | RuntimeException e) {
      return "localhost";
    }
  }
}
