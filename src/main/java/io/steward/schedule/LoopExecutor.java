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
  private final Runnable between;
  private final ConcurrentLinkedQueue<Runnable> inbox = new ConcurrentLinkedQueue<>();
  private final AtomicBoolean scheduled = new AtomicBoolean();

  /**
   * {@code afterDrain} runs after each batch of tasks (a scheduler re-arms its timer: a task may add a fire);
   * {@code between} every 16 tasks of a long batch (a scheduler fires what has come due meanwhile).
   */
  LoopExecutor(Context context, Runnable afterDrain, Runnable between) {
    this.context = context;
    this.afterDrain = afterDrain;
    this.between = between;
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
    int n = 0;
    while ((task = inbox.poll()) != null) {
      task.run();
      if ((++n & 15) == 0) {
        between.run();
      }
    }
    afterDrain.run();
  }
}
