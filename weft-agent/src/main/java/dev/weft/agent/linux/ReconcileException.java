package dev.weft.agent.linux;

/**
 * A reconcile made what changes it could, and some failed: the report lists them, each with the
 * command and the kernel's reason. Retrying is safe: reconciling is idempotent.
 */
public final class ReconcileException extends RuntimeException {
  private static final long serialVersionUID = 1L;

  private final transient ReconcileReport report;

  ReconcileException(String node, ReconcileReport report) {
    super(
        "node "
            + node
            + ": "
            + report.errors().size()
            + " step(s) of the reconcile failed:\n"
            + String.join("\n", report.errors()));
    this.report = report;
  }

  public ReconcileReport report() {
    return report;
  }
}
