package dev.weft.kube.k8s;

import static org.assertj.core.api.Assertions.assertThat;

import java.util.Map;
import java.util.concurrent.atomic.AtomicInteger;
import org.junit.jupiter.api.Test;

/** The catch-up rules of {@link HandledVersions}, without a server. */
class HandledVersionsTest {
  private final AtomicInteger changes = new AtomicInteger();
  private final HandledVersions pods = new HandledVersions("Pod", changes::incrementAndGet);

  @Test
  void aListedObjectHoldsUntilTheHandlerHasSeenItAtItsListedVersion() {
    pods.handled("default/a", "5");
    try (HandledVersions.Catchup c = pods.begin()) {
      c.against("12", Map.of("default/a", "7", "default/b", "9"));
      assertThat(c.caughtUp()).isFalse();
      pods.handled("default/a", "7");
      assertThat(c.caughtUp()).isFalse();
      pods.handled("default/b", "11");
      assertThat(c.caughtUp()).isTrue();
    }
    assertThat(changes).hasValue(3);
  }

  @Test
  void aDeletionHandledAfterTheCatchupBeganCountsAsSeen() {
    pods.handled("default/a", "5");
    try (HandledVersions.Catchup c = pods.begin()) {
      // Listed at 7, then deleted: the handler may never see version 7 itself.
      c.against("7", Map.of("default/a", "7"));
      pods.deleted("default/a", "7");
      assertThat(c.caughtUp()).isTrue();
    }
  }

  @Test
  void aDeletionOfAnEarlierObjectOfTheSameNameDoesNotCountForTheListedOne() {
    pods.handled("default/a", "5");
    try (HandledVersions.Catchup c = pods.begin()) {
      c.against("9", Map.of("default/a", "8"));
      pods.deleted("default/a", "5");
      assertThat(c.caughtUp()).isFalse();
      pods.handled("default/a", "8");
      assertThat(c.caughtUp()).isTrue();
    }
  }

  @Test
  void deletionsBeforeTheCatchupBeganOrAfterItClosedAreNotRecordedInIt() {
    pods.handled("default/a", "5");
    pods.deleted("default/a", "5");
    HandledVersions.Catchup c = pods.begin();
    c.against("9", Map.of("default/a", "5"));
    assertThat(c.caughtUp()).isFalse();
    c.close();
    pods.handled("default/a", "5");
    pods.deleted("default/a", "5");
    assertThat(c.caughtUp()).isFalse();
  }

  @Test
  void anObjectTheListLacksHoldsUntilItsDeletionIsHandled() {
    pods.handled("default/gone", "4");
    try (HandledVersions.Catchup c = pods.begin()) {
      c.against("9", Map.of());
      assertThat(c.caughtUp()).isFalse();
      assertThat(c.describe())
          .contains("default/gone (handled at 4)", "missing from the list at 9");
      pods.deleted("default/gone", "4");
      assertThat(c.caughtUp()).isTrue();
    }
  }

  @Test
  void anObjectTheListLacksThatIsNewerThanTheListWasCreatedAfterItAndDoesNotHold() {
    try (HandledVersions.Catchup c = pods.begin()) {
      pods.handled("default/new", "10");
      c.against("9", Map.of());
      assertThat(c.caughtUp()).isTrue();
    }
    // The mock API server does not move its version on a delete: an object at the list's own
    // version that the list lacks was deleted, not created after it.
    pods.handled("default/deleted", "9");
    try (HandledVersions.Catchup c = pods.begin()) {
      c.against("9", Map.of());
      assertThat(c.caughtUp()).isFalse();
    }
  }

  @Test
  void versionsThatAreNotNumbersAreOnlyComparedForEquality() {
    pods.handled("default/a", "b");
    pods.handled("default/extra", "z");
    try (HandledVersions.Catchup c = pods.begin()) {
      c.against("zz", Map.of("default/a", "c"));
      assertThat(c.caughtUp()).isFalse();
      pods.handled("default/a", "c");
      // Whether "z" is newer than the list cannot be told, so the extra object must go.
      assertThat(c.caughtUp()).isFalse();
      pods.deleted("default/extra", "z");
      assertThat(c.caughtUp()).isTrue();
    }
    try (HandledVersions.Catchup c = pods.begin()) {
      // Without a list version the list still counts; extra objects must be deleted.
      pods.handled("default/late", "15");
      c.against(null, Map.of("default/a", "c"));
      assertThat(c.caughtUp()).isFalse();
    }
  }

  @Test
  void theDescriptionNamesWhatHoldsSortedAndCapped() {
    try (HandledVersions.Catchup c = pods.begin()) {
      pods.handled("ns/b", "1");
      c.against("20", Map.of("ns/e", "5", "ns/d", "5", "ns/c", "5", "ns/b", "5", "ns/a", "5"));
      assertThat(c.caughtUp()).isFalse();
      assertThat(c.describe())
          .isEqualTo(
              "Pod: 5 listed objects not yet handled at the listed version: ns/a (listed at 5,"
                  + " not handled), ns/b (listed at 5, handled at 1), ns/c (listed at 5, not"
                  + " handled), ...");
    }
  }

  @Test
  void theKeyIsNamespaceSlashNameOrTheNameForClusterScopedObjects() {
    assertThat(
            HandledVersions.key(
                new io.fabric8.kubernetes.api.model.PodBuilder()
                    .withNewMetadata()
                    .withNamespace("ns")
                    .withName("p")
                    .endMetadata()
                    .build()))
        .isEqualTo("ns/p");
    assertThat(
            HandledVersions.key(
                new io.fabric8.kubernetes.api.model.NodeBuilder()
                    .withNewMetadata()
                    .withName("node-1")
                    .endMetadata()
                    .build()))
        .isEqualTo("node-1");
  }

  @Test
  void resourceVersionsCompareAsNumbersOnlyWhenBothAreNumbers() {
    assertThat(ResourceVersions.atLeast("10", "9")).isTrue();
    assertThat(ResourceVersions.atLeast("9", "10")).isFalse();
    assertThat(ResourceVersions.atLeast("a", "a")).isTrue();
    assertThat(ResourceVersions.atLeast("b", "a")).isFalse();
    assertThat(ResourceVersions.atLeast("10", "a")).isFalse();
    assertThat(ResourceVersions.atLeast(null, "1")).isFalse();
    assertThat(ResourceVersions.atLeast("1", null)).isTrue();
    assertThat(ResourceVersions.newer("10", "9")).isTrue();
    assertThat(ResourceVersions.newer("9", "9")).isFalse();
    assertThat(ResourceVersions.newer("b", "a")).isFalse();
    assertThat(ResourceVersions.newer("10", null)).isFalse();
    // Too long for a long: not a number, so only equal to itself.
    assertThat(ResourceVersions.atLeast("99999999999999999999", "1")).isFalse();
  }
}
