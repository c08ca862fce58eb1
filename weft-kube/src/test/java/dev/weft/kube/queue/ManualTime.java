package dev.weft.kube.queue;

import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.time.ZoneId;
import java.time.ZoneOffset;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import java.util.concurrent.AbstractExecutorService;
import java.util.concurrent.Callable;
import java.util.concurrent.Delayed;
import java.util.concurrent.RejectedExecutionException;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.ScheduledFuture;
import java.util.concurrent.TimeUnit;

/**
 * A clock and a scheduler that only move when the test calls {@link #advance}: due tasks run on the
 * advancing thread, in due order, with the clock set to each task's due time as it runs.
 */
final class ManualTime {

  private final Object lock = new Object();
  private final List<Task> tasks = new ArrayList<>();
  private Instant now = Instant.parse("2030-01-01T00:00:00Z");
  private long scheduledCount;
  private boolean shutdown;

  private final Clock clock =
      new Clock() {
        @Override
        public ZoneId getZone() {
          return ZoneOffset.UTC;
        }

        @Override
        public Clock withZone(ZoneId zone) {
          throw new UnsupportedOperationException();
        }

        @Override
        public Instant instant() {
          synchronized (lock) {
            return now;
          }
        }
      };

  private final ScheduledExecutorService scheduler = new Scheduler();

  Clock clock() {
    return clock;
  }

  ScheduledExecutorService scheduler() {
    return scheduler;
  }

  /** Moves time forward, running every task that falls due on the way. */
  void advance(Duration by) {
    Instant target;
    synchronized (lock) {
      target = now.plus(by);
    }
    while (true) {
      Task due;
      synchronized (lock) {
        due =
            tasks.stream()
                .filter(task -> !task.due.isAfter(target))
                .min(Comparator.comparing((Task task) -> task.due).thenComparing(task -> task.seq))
                .orElse(null);
        if (due == null) {
          now = target;
          return;
        }
        tasks.remove(due);
        if (due.due.isAfter(now)) {
          now = due.due;
        }
        due.done = true;
      }
      // Outside the lock: the task takes the queue's lock, and the queue calls back into us
      // (clock, schedule, cancel) while holding it.
      due.command.run();
    }
  }

  /** Delays from now of the tasks still scheduled, shortest first. */
  List<Duration> pendingDelays() {
    synchronized (lock) {
      return tasks.stream().map(task -> Duration.between(now, task.due)).sorted().toList();
    }
  }

  /** How many tasks were ever scheduled, cancelled or not. */
  long scheduledCount() {
    synchronized (lock) {
      return scheduledCount;
    }
  }

  private final class Task implements ScheduledFuture<Object> {
    final Instant due;
    final long seq;
    final Runnable command;
    boolean done;
    boolean cancelled;

    Task(Instant due, long seq, Runnable command) {
      this.due = due;
      this.seq = seq;
      this.command = command;
    }

    @Override
    public long getDelay(TimeUnit unit) {
      synchronized (lock) {
        return unit.convert(Duration.between(now, due));
      }
    }

    @Override
    public int compareTo(Delayed other) {
      return Long.compare(getDelay(TimeUnit.NANOSECONDS), other.getDelay(TimeUnit.NANOSECONDS));
    }

    @Override
    public boolean cancel(boolean mayInterruptIfRunning) {
      synchronized (lock) {
        if (done) {
          return false;
        }
        done = true;
        cancelled = true;
        tasks.remove(this);
        return true;
      }
    }

    @Override
    public boolean isCancelled() {
      synchronized (lock) {
        return cancelled;
      }
    }

    @Override
    public boolean isDone() {
      synchronized (lock) {
        return done;
      }
    }

    @Override
    public Object get() {
      throw new UnsupportedOperationException("the fake scheduler's futures are not waited on");
    }

    @Override
    public Object get(long timeout, TimeUnit unit) {
      throw new UnsupportedOperationException("the fake scheduler's futures are not waited on");
    }
  }

  private final class Scheduler extends AbstractExecutorService
      implements ScheduledExecutorService {

    @Override
    public ScheduledFuture<?> schedule(Runnable command, long delay, TimeUnit unit) {
      synchronized (lock) {
        if (shutdown) {
          throw new RejectedExecutionException("fake scheduler is shut down");
        }
        Task task = new Task(now.plusNanos(unit.toNanos(delay)), scheduledCount++, command);
        tasks.add(task);
        return task;
      }
    }

    @Override
    public <V> ScheduledFuture<V> schedule(Callable<V> callable, long delay, TimeUnit unit) {
      throw new UnsupportedOperationException();
    }

    @Override
    public ScheduledFuture<?> scheduleAtFixedRate(
        Runnable command, long initialDelay, long period, TimeUnit unit) {
      throw new UnsupportedOperationException();
    }

    @Override
    public ScheduledFuture<?> scheduleWithFixedDelay(
        Runnable command, long initialDelay, long delay, TimeUnit unit) {
      throw new UnsupportedOperationException();
    }

    @Override
    public void execute(Runnable command) {
      throw new UnsupportedOperationException();
    }

    @Override
    public void shutdown() {
      synchronized (lock) {
        shutdown = true;
      }
    }

    @Override
    public List<Runnable> shutdownNow() {
      synchronized (lock) {
        shutdown = true;
        List<Runnable> dropped = tasks.stream().map(task -> task.command).toList();
        tasks.clear();
        return dropped;
      }
    }

    @Override
    public boolean isShutdown() {
      synchronized (lock) {
        return shutdown;
      }
    }

    @Override
    public boolean isTerminated() {
      return isShutdown();
    }

    @Override
    public boolean awaitTermination(long timeout, TimeUnit unit) {
      return isShutdown();
    }
  }
}
