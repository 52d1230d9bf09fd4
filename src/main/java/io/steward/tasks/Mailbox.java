package io.steward.tasks;

import io.vertx.core.Context;

import java.util.concurrent.ConcurrentLinkedQueue;
import java.util.concurrent.atomic.AtomicBoolean;

/**
 * Hands work from worker and Hazelcast threads to the verticle's event loop, many actions per hop: a hop
 * (a task on the event loop, often a wake-up system call) costs more than most of the actions it carries,
 * so under load they are drained together. Bounded by its callers: each action belongs to a task that holds
 * capacity.
 */
final class Mailbox {

  private final Context context;
  private final ConcurrentLinkedQueue<Runnable> queue = new ConcurrentLinkedQueue<>();
  private final AtomicBoolean scheduled = new AtomicBoolean();

  Mailbox(Context context) {
    this.context = context;
  }

  void post(Runnable action) {
    queue.add(action);
    if (scheduled.compareAndSet(false, true)) {
      context.runOnContext(v -> drain());
    }
  }

  private void drain() {
    scheduled.set(false);
    Runnable r;
    while ((r = queue.poll()) != null) {
      r.run();
    }
  }
}
