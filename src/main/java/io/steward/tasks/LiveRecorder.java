package io.steward.tasks;

import io.micrometer.core.instrument.Timer;
import io.steward.observe.RateLimitedLog;
import io.vertx.core.Future;
import io.vertx.core.Vertx;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.util.concurrent.TimeUnit;

/**
 * Writes this node's {@link LiveRecord} (its pending and running temporary tasks) to the cluster every
 * {@code publishMs} when the set changed, one write at a time, off the submit path. A temporary task accepted
 * just before this node dies is reported lost only if a write that began after it was accepted completed:
 * the window is at most {@code publishMs} plus the write's latency, measured in
 * {@code steward_tasks_record_write_seconds}.
 */
final class LiveRecorder {

  private static final Logger LOG = LoggerFactory.getLogger(LiveRecorder.class);
  private static final RateLimitedLog WARNINGS = new RateLimitedLog(LOG, 30_000);

  private final String nodeId;
  private final String idPrefix;
  private final Registry registry;
  private final TaskStore store;
  private final Timer writes;
  private boolean inFlight;

  private final Vertx vertx;

  LiveRecorder(Vertx vertx, String nodeId, String idPrefix, Registry registry, TaskStore store, Timer writes) {
    this.vertx = vertx;
    this.nodeId = nodeId;
    this.idPrefix = idPrefix;
    this.registry = registry;
    this.store = store;
    this.writes = writes;
  }

  /**
   * On the event loop, every {@code publishMs}: when the live temporary tasks changed, lists them on a worker
   * thread (tens of thousands under load: not the event loop's job) and writes the list.
   */
  void tick() {
    if (inFlight || !registry.takeChanged()) {
      return;
    }
    inFlight = true;
    long start = System.nanoTime();
    vertx.executeBlocking(() -> LiveRecord.encode(nodeId, idPrefix, System.currentTimeMillis(), registry.liveTemporary()), false)
      .compose(record -> store.putLiveRecord(nodeId, record)).onComplete(ar -> {
      inFlight = false;
      if (ar.succeeded()) {
        writes.record(System.nanoTime() - start, TimeUnit.NANOSECONDS);
      } else {
        registry.markChanged(); // write again next time
        WARNINGS.warn("write", "Could not write this node's record of temporary tasks (" + ar.cause().getMessage()
          + "); if the node dies now, its newest temporary tasks are not reported lost. Retrying.");
      }
    });
  }

  /** Leaving cleanly: the last record, or none when nothing is left (no survivor needs to report anything). */
  Future<Void> close() {
    if (registry.liveCount() == 0) {
      return store.removeLiveRecord(nodeId);
    }
    return store.putLiveRecord(nodeId, LiveRecord.encode(nodeId, idPrefix, System.currentTimeMillis(), registry.liveTemporary()));
  }
}
