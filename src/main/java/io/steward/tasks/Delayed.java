package io.steward.tasks;

import io.micrometer.core.instrument.Timer;
import io.vertx.core.Vertx;

import java.time.Clock;
import java.util.Comparator;
import java.util.PriorityQueue;
import java.util.concurrent.TimeUnit;
import java.util.function.Consumer;

/**
 * This node's scheduled tasks (submitted with {@code delayMs} or {@code runAt}), soonest first, and one Vert.x timer
 * for the soonest: 100 000 waiting tasks cost a heap of 100 000 entries and one timer, not 100 000 timers. Due times
 * are the node's wall clock (epoch ms, what {@code runAt} names); the watchdog's tick ({@link #fireDue}, every
 * {@link TasksVerticle#WATCHDOG_MS}) also looks, so a step of the wall clock forward (or a test's moved clock) is
 * noticed within that tick, and a timer that fires a millisecond early is armed again. On the event loop only.
 */
final class Delayed {

  private record Entry(long at, TaskRecord record) {
  }

  private final Vertx vertx;
  private final io.vertx.core.Context context;
  private final Clock clock;
  private final Consumer<TaskRecord> due;
  private final Timer lateness;
  private final PriorityQueue<Entry> queue = new PriorityQueue<>(Comparator.comparingLong(Entry::at));
  /** The queue's size, for the gauge (read on the scrape's thread). */
  private volatile int size;
  private long timer = -1;
  private long timerAt = Long.MAX_VALUE;
  private boolean closed;

  /**
   * @param due      called with each task whose time came (still scheduled: a cancelled one is taken out first)
   * @param lateness how long after its due time each task was handed on; null for none
   */
  Delayed(Vertx vertx, io.vertx.core.Context context, Clock clock, Consumer<TaskRecord> due, Timer lateness) {
    this.vertx = vertx;
    this.context = context;
    this.clock = clock;
    this.due = due;
    this.lateness = lateness;
  }

  /** Waits for {@code r}'s {@link TaskRecord#runAt}; one already due is handed on at the next tick. */
  void add(TaskRecord r) {
    onContext();
    queue.add(new Entry(r.runAt(), r));
    size = queue.size();
    arm();
  }

  /** Takes a task out (cancelled). Linear in the number waiting: a cancel is rare beside a submit. */
  void remove(TaskRecord r) {
    onContext();
    if (queue.removeIf(e -> e.record() == r)) {
      size = queue.size();
    }
  }

  int size() {
    return size;
  }

  /** Hands on every task whose time came, then arms the timer for the next one. */
  void fireDue() {
    if (closed) {
      return;
    }
    long now = clock.millis();
    for (Entry e = queue.peek(); e != null && e.at() <= now; e = queue.peek()) {
      queue.poll();
      if (lateness != null) {
        lateness.record(now - e.at(), TimeUnit.MILLISECONDS);
      }
      due.accept(e.record());
    }
    size = queue.size();
    arm();
  }

  /** The heap is not thread-safe: a call from another thread (a submit's event loop) is a bug, not a race to lose. */
  private void onContext() {
    if (!io.steward.spi.VertxInternals.isRunningOnContext(context)) {
      throw new IllegalStateException("scheduled tasks are kept on the tasks verticle's event loop, not on "
        + Thread.currentThread().getName());
    }
  }

  private void arm() {
    Entry head = queue.peek();
    if (closed || head == null || head.at() >= timerAt) {
      return;
    }
    if (timer >= 0) {
      vertx.cancelTimer(timer);
    }
    timerAt = head.at();
    timer = vertx.setTimer(Math.max(1, head.at() - clock.millis()), t -> {
      timer = -1;
      timerAt = Long.MAX_VALUE;
      fireDue();
    });
  }

  void close() {
    closed = true;
    if (timer >= 0) {
      vertx.cancelTimer(timer);
      timer = -1;
    }
  }
}
