package dev.weft.store.etcd;

import java.util.Optional;
import org.junit.jupiter.api.Assumptions;
import org.junit.jupiter.api.extension.AfterAllCallback;
import org.junit.jupiter.api.extension.BeforeAllCallback;
import org.junit.jupiter.api.extension.BeforeEachCallback;
import org.junit.jupiter.api.extension.ExtensionContext;

/**
 * Starts an {@link EtcdCluster} before a test class and removes it after, for use as a static
 * {@code @RegisterExtension} field.
 *
 * <p>Without an etcd binary every test of the class is skipped, one by one with the reason, since
 * Surefire does not report a skipped class; under CI ({@code CI=true}) the class fails instead.
 */
public final class EtcdExtension
    implements BeforeAllCallback, BeforeEachCallback, AfterAllCallback {
  private final int size;
  private EtcdCluster cluster;
  private Optional<String> missing = Optional.empty();

  private EtcdExtension(int size) {
    this.size = size;
  }

  public static EtcdExtension members(int size) {
    return new EtcdExtension(size);
  }

  public EtcdCluster cluster() {
    if (cluster == null) {
      throw new IllegalStateException("the etcd cluster runs only while its test class does");
    }
    return cluster;
  }

  @Override
  public void beforeAll(ExtensionContext context) {
    missing = EtcdCluster.missing();
    if (missing.isPresent()) {
      if (EtcdCluster.mustHaveEtcd()) {
        throw new AssertionError(missing.get() + "; CI must install it (.ci/run)");
      }
      System.err.println(context.getDisplayName() + ": " + missing.get() + "; skipping its tests");
      return;
    }
    long started = System.nanoTime();
    cluster = EtcdCluster.start(size);
    System.out.printf(
        "etcd: %d member(s) up in %d ms: %s%n",
        size, (System.nanoTime() - started) / 1_000_000, cluster.endpoints());
  }

  @Override
  public void beforeEach(ExtensionContext context) {
    missing.ifPresent(why -> Assumptions.abort(why + ": skipping a test against a real etcd"));
  }

  @Override
  public void afterAll(ExtensionContext context) {
    if (cluster != null) {
      cluster.close();
      cluster = null;
    }
  }
}
