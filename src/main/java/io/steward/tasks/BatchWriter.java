package io.steward.tasks;

import io.vertx.core.Future;
import io.vertx.core.Promise;

import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletionStage;
import java.util.concurrent.ConcurrentLinkedQueue;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.function.Function;

/**
 * Group commit to Hazelcast: a write waits only while the previous batch is in flight, then goes with every
 * write that arrived meanwhile in one asynchronous call (putAll, or one entry processor over many keys). At low
 * load a write goes out at once; at high load batches grow, so the number of Hazelcast calls stays small. Never
 * blocks a thread. The queue is bounded by its callers: a task has at most one write waiting here.
 */
final class BatchWriter<V> {

  private record Item<V>(String key, V value, Promise<Void> done) {
  }

  private final Mailbox mailbox;
  private final int maxBatch;
  private final Function<Map<String, V>, CompletionStage<?>> write;
  private final ConcurrentLinkedQueue<Item<V>> queue = new ConcurrentLinkedQueue<>();
  private final AtomicBoolean busy = new AtomicBoolean();

  BatchWriter(Mailbox mailbox, int maxBatch, Function<Map<String, V>, CompletionStage<?>> write) {
    this.mailbox = mailbox;
    this.maxBatch = maxBatch;
    this.write = write;
  }

  /** Completes on the verticle's event loop once the value is written; a later write of the same key wins. */
  Future<Void> write(String key, V value) {
    Promise<Void> done = Promise.promise();
    queue.add(new Item<>(key, value, done));
    drain();
    return done.future();
  }

  private void drain() {
    if (queue.isEmpty() || !busy.compareAndSet(false, true)) {
      return;
    }
    Map<String, V> batch = new LinkedHashMap<>();
    List<Promise<Void>> waiting = new ArrayList<>();
    Item<V> item;
    while (batch.size() < maxBatch && (item = queue.poll()) != null) {
      batch.put(item.key(), item.value());
      waiting.add(item.done());
    }
    if (batch.isEmpty()) {
      busy.set(false);
      drain();
      return;
    }
    CompletionStage<?> stage;
    try {
      stage = write.apply(batch);
    } catch (RuntimeException e) {
      finish(waiting, e);
      return;
    }
    stage.whenComplete((v, err) -> finish(waiting, err));
  }

  /**
   * Lets the next batch go, and answers this one's writers, in one hop to the event loop. Never on the thread that
   * completed the batch: that may be a Hazelcast thread that refuses remote calls (a partition or response thread, or
   * the invocation monitor failing calls after a member's death: CI, KillDuringTasksIT, "InvocationMonitorThread
   * cannot make remote call", and a whole batch of records, the dead node's lost temporary tasks among them, failed).
   */
  private void finish(List<Promise<Void>> waiting, Throwable err) {
    busy.set(false);
    mailbox.post(() -> {
      drain();
      for (Promise<Void> p : waiting) {
        if (err == null) {
          p.tryComplete();
        } else {
          p.tryFail(err);
        }
      }
    });
  }
}
