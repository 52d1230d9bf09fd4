package io.steward.schedule;

import io.vertx.core.Context;

import java.util.concurrent.ConcurrentLinkedQueue;
import java.util.concurrent.Executor;
import java.util.concurrent.atomic.AtomicBoolean;

/**
 * Runs tasks on a Vert.x context, coalescing them: completions arriving from Hazelcast threads in a burst are run
 * in one event-loop turn instead of one {@code runOnContext} each.
 */
final class LoopExecutor implements Executor {

  private final Context context;
  private final Runnable afterDrain;
  private final ConcurrentLinkedQueue<Runnable> inbox = new ConcurrentLinkedQueue<>();
  private final AtomicBoolean scheduled = new AtomicBoolean();

  /** {@code afterDrain} runs after each batch of tasks (a scheduler re-arms its timer: a task may add a fire). */
  LoopExecutor(Context context, Runnable afterDrain) {
    this.context = context;
    this.afterDrain = afterDrain;
  }

  @Override
  public void execute(Runnable task) {
    inbox.add(task);
    if (scheduled.compareAndSet(false, true)) {
      context.runOnContext(v -> drain());
    }
  }

  private void drain() {
    scheduled.set(false);
    Runnable task;
    while ((task = inbox.poll()) != null) {
      task.run();
    }
    afterDrain.run();
  }
}
