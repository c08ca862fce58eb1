package dev.weft.store.etcd;

import io.etcd.jetcd.common.exception.EtcdException;
import io.grpc.Status;
import java.util.Set;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/** Reads the gRPC status out of whatever jetcd failed with, and says what may be done about it. */
final class EtcdErrors {
  private EtcdErrors() {}

  /**
   * Codes that say a request can never succeed as sent (bad request, no right to it): a watch that
   * gets one stops instead of retrying.
   */
  private static final Set<Status.Code> PERMANENT =
      Set.of(
          Status.Code.INVALID_ARGUMENT,
          Status.Code.PERMISSION_DENIED,
          Status.Code.UNAUTHENTICATED,
          Status.Code.UNIMPLEMENTED);

  /**
   * Codes after which a write may or may not have been applied: the request may have reached the
   * leader before the connection, the member or the deadline went away.
   */
  private static final Set<Status.Code> OUTCOME_UNKNOWN =
      Set.of(
          Status.Code.UNAVAILABLE,
          Status.Code.DEADLINE_EXCEEDED,
          Status.Code.CANCELLED,
          Status.Code.UNKNOWN,
          Status.Code.INTERNAL,
          Status.Code.ABORTED);

  /** The status of {@code error}: jetcd's own exceptions carry a code, gRPC's a status. */
  static Status status(Throwable error) {
    for (Throwable t = error; t != null; t = t.getCause()) {
      if (t instanceof EtcdException e) {
        return Status.fromCode(Status.Code.valueOf(e.getErrorCode().name()))
            .withDescription(e.getMessage());
      }
    }
    return Status.fromThrowable(error);
  }

  static boolean isPermanent(Status status) {
    return PERMANENT.contains(status.getCode());
  }

  static boolean outcomeUnknown(Status status) {
    return OUTCOME_UNKNOWN.contains(status.getCode());
  }

  /** The exception message gRPC buries in a "wait for ready" description, with its stack. */
  private static final Pattern CONNECT_ERROR = Pattern.compile("cause=[^\\s:]+: ([^\\n\\]]*)");

  /**
   * "UNAVAILABLE: etcdserver: no leader", for messages. A request that waited for a connection
   * until its deadline carries gRPC's debugging dump, stack traces included; only its first
   * sentence and the last connection error are kept.
   */
  static String describe(Status status) {
    String description = status.getDescription();
    if (description == null || description.isBlank()) {
      return status.getCode().toString();
    }
    String first = description.lines().findFirst().orElse("");
    int debug = first.indexOf(". Name resolution delay");
    if (debug < 0) {
      debug = first.indexOf(" [");
    }
    String text = debug < 0 ? first : first.substring(0, debug);
    Matcher cause = CONNECT_ERROR.matcher(description);
    if (cause.find()) {
      text += " (last connection error: " + cause.group(1).trim() + ")";
    }
    return status.getCode() + ": " + text;
  }

  static boolean isCompacted(Status status) {
    return status.getCode() == Status.Code.OUT_OF_RANGE
        && status.getDescription() != null
        && status.getDescription().contains("required revision has been compacted");
  }

  static boolean isFutureRevision(Status status) {
    return status.getCode() == Status.Code.OUT_OF_RANGE
        && status.getDescription() != null
        && status.getDescription().contains("required revision is a future revision");
  }
}
