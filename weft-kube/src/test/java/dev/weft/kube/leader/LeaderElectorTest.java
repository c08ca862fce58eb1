package dev.weft.kube.leader;

import static org.assertj.core.api.Assertions.assertThat;

import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.time.ZoneOffset;
import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.atomic.AtomicLong;
import org.junit.jupiter.api.Test;

/** The election on a lease, driven by hand on a fake monotonic clock. */
class LeaderElectorTest {
  private final MemoryLeaseLock lock = new MemoryLeaseLock();
  private final AtomicLong nanos = new AtomicLong();
  private final Clock wall = Clock.fixed(Instant.parse("2025-01-01T00:00:00Z"), ZoneOffset.UTC);

  /** A candidate and what it was told. */
  private final class Candidate implements LeaderElector.Listener {
    final List<String> events = new CopyOnWriteArrayList<>();
    final LeaderElector elector;

    Candidate(String identity) {
      LeaderElectionConfig config =
          new LeaderElectionConfig(
              "kube-system",
              "weft-kube-manager",
              identity,
              Duration.ofSeconds(10),
              Duration.ofSeconds(7),
              Duration.ofSeconds(1));
      elector = new LeaderElector(lock, config, wall, nanos::get, null, this);
    }

    @Override
    public void startedLeading() {
      events.add("started");
    }

    @Override
    public void stoppedLeading(String reason) {
      events.add("stopped: " + reason);
    }

    boolean tick() {
      elector.tick();
      return elector.isLeader();
    }
  }

  private void at(double seconds) {
    nanos.set((long) (seconds * 1e9));
  }

  @Test
  void onlyOneOfTwoCandidatesLeads() {
    Candidate a = new Candidate("a");
    Candidate b = new Candidate("b");
    assertThat(a.tick()).isTrue();
    assertThat(b.tick()).isFalse();
    assertThat(b.elector.holder()).isEqualTo("a");
    at(5);
    assertThat(a.tick()).isTrue();
    assertThat(b.tick()).isFalse();
    assertThat(a.events).containsExactly("started");
    assertThat(b.events).isEmpty();
  }

  @Test
  void standbyTakesOverOnlyOnceItHasSeenTheLeaseUnchangedForTheLeaseDuration() {
    Candidate a = new Candidate("a");
    Candidate b = new Candidate("b");
    at(0);
    a.tick();
    at(3);
    b.tick(); // first sight of a's renewal from t=0: expiry is counted from here
    at(12.9);
    assertThat(b.tick()).isFalse();
    at(13);
    assertThat(b.tick()).isTrue();
    assertThat(lock.record().holder()).isEqualTo("b");
    assertThat(lock.record().transitions()).isEqualTo(1);
    // The old leader, back, finds the lease taken and stops at once.
    assertThat(a.tick()).isFalse();
    assertThat(a.events).containsExactly("started", "stopped: the lease is held by b");
  }

  @Test
  void leaderThatCannotRenewStopsBeforeAnyoneMayTakeOver() {
    Candidate a = new Candidate("a");
    Candidate b = new Candidate("b");
    a.tick();
    b.tick();
    lock.unreachable(true);
    at(6.9);
    assertThat(a.tick()).isTrue();
    at(7);
    assertThat(a.tick()).isFalse();
    assertThat(a.events.get(1)).startsWith("stopped: not renewed for 7000 ms");
    lock.unreachable(false);
    // b saw a's renewal at 0 and may not take over before 10: a stopped 3 s earlier.
    at(9.9);
    assertThat(b.tick()).isFalse();
    at(10);
    assertThat(b.tick()).isTrue();
  }

  @Test
  void renewDeadlineTimerStopsALeaderWhoseRenewalIsStuck() {
    Candidate a = new Candidate("a");
    a.tick();
    at(6.9);
    a.elector.checkDeadline();
    assertThat(a.elector.isLeader()).isTrue();
    at(7);
    a.elector.checkDeadline();
    assertThat(a.elector.isLeader()).isFalse();
  }

  @Test
  void releasedLeaseIsTakenAtTheNextTry() {
    Candidate a = new Candidate("a");
    Candidate b = new Candidate("b");
    a.tick();
    b.tick();
    a.elector.stop();
    a.elector.release();
    assertThat(a.events).containsExactly("started", "stopped: stopping");
    assertThat(lock.record().holder()).isEmpty();
    assertThat(b.tick()).isTrue();
  }

  @Test
  void leaderThatRelinquishesLeadsAgainAtTheNextTryWhileItHoldsTheLease() {
    Candidate a = new Candidate("a");
    a.tick();
    a.elector.relinquish("fence taken");
    assertThat(a.elector.isLeader()).isFalse();
    at(1);
    assertThat(a.tick()).isTrue();
    assertThat(a.events).containsExactly("started", "stopped: fence taken", "started");
    assertThat(lock.record().transitions()).isZero();
  }

  @Test
  void restartedProcessIsANewCandidateAndWaitsOutItsPredecessorsLease() {
    Candidate before = new Candidate("host_1_aaaa");
    before.tick();
    // killed: it never renews again
    at(2);
    Candidate after = new Candidate("host_2_bbbb");
    assertThat(after.tick()).isFalse();
    at(11.9);
    assertThat(after.tick()).isFalse();
    at(12);
    assertThat(after.tick()).isTrue();
  }

  @Test
  void configRefusesADeadlineThatIsNotShorterThanTheLease() {
    org.assertj.core.api.Assertions.assertThatThrownBy(
            () ->
                LeaderElectionConfig.defaults()
                    .withTimings(
                        Duration.ofSeconds(10), Duration.ofSeconds(10), Duration.ofSeconds(1)))
        .isInstanceOf(IllegalArgumentException.class)
        .hasMessageContaining("renew deadline < lease duration");
  }
}
