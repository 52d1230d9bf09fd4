package io.steward.schedule;

import io.steward.spi.VertxInternals;
import io.vertx.core.Future;
import io.vertx.core.Promise;
import io.vertx.core.Timer;
import io.vertx.core.VerticleBase;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.time.Instant;
import java.util.concurrent.TimeUnit;
import java.util.function.BiConsumer;

/**
 * One scheduler instance: a {@link Scheduler} for the jobs whose names hash to this shard, on its own event
 * loop, with a single Vert.x timer armed for the earliest fire time. Beats for the {@link Fence} every 100 ms
 * and reassesses placement every second (and whenever membership, partitions or the registry change).
 */
final class ShardVerticle extends VerticleBase {

  private static final Logger LOG = LoggerFactory.getLogger(ShardVerticle.class);
  private static final long REASSESS_MS = 1_000;
  private static final int BUDGET = 2_000;
  private static final long DRAIN_MS = 5_000;
  /** Ticks are claimed between LEAD_MS and LEAD_MS + BATCH_MS before their time, in per-partition batches. */
  static final long LEAD_MS = 30;
  static final long BATCH_MS = 50;

  private final ScheduleNode node;
  private final int index;
  private Scheduler scheduler;
  private BiConsumer<String, JobRecord> subscription;
  private Timer timer;
  private long armedFor = Scheduler.NEVER;
  private long beatTimer = -1;
  private long reassessTimer = -1;
  private long flushTimer = -1;
  private boolean stopping;

  ShardVerticle(ScheduleNode node, int index) {
    this.node = node;
    this.index = index;
  }

  @Override
  public Future<?> start() {
    Scheduler.Settings settings = new Scheduler.Settings(node.nodeId, node.config.misfireThresholdMs(),
      node.config.defaultTimeoutMs(), BUDGET, LEAD_MS, BATCH_MS, node.config.historyFlushMs(), node.config.historySize());
    scheduler = new Scheduler(node.clock, new LoopExecutor(context, this::arm, () -> scheduler.fireDue()), settings, node.claimsApi,
      node.actions, node.nodes::fires, node.fence.guard(index), node.log);
    node.fence.reset(index);
    subscription = (name, rec) -> {
      if (node.shardOf(name) == index) {
        context.runOnContext(v -> {
          if (rec == null) {
            scheduler.remove(name);
          } else {
            scheduler.upsert(rec);
          }
          arm();
        });
      }
    };
    node.store.subscribe(subscription);
    for (JobRecord rec : node.store.replica().values()) {
      if (node.shardOf(rec.name()) == index) {
        scheduler.upsert(rec);
      }
    }
    beatTimer = vertx.setPeriodic(Fence.beatMs(), t -> node.fence.beat(index));
    reassessTimer = vertx.setPeriodic(REASSESS_MS, t -> {
      scheduler.reassess();
      arm();
    });
    flushTimer = vertx.setPeriodic(Math.max(10, node.config.historyFlushMs() / 2), t -> flush());
    node.register(this);
    arm();
    return Future.succeededFuture();
  }

  /** Called from any thread. */
  void reassess() {
    context.runOnContext(v -> {
      if (!stopping) {
        scheduler.reassess();
        arm();
      }
    });
  }

  /** The fence came down: every active job looks back for a tick it may owe. Called from any thread. */
  void catchUp() {
    context.runOnContext(v -> {
      if (!stopping) {
        scheduler.catchUp();
        arm();
      }
    });
  }

  int index() {
    return index;
  }

  /** Completes on this shard's loop after the tasks queued there before (the job changes passed on so far). */
  Future<Void> settled() {
    Promise<Void> done = Promise.promise();
    context.runOnContext(v -> done.complete());
    return done.future();
  }

  int jobs() {
    return scheduler == null ? 0 : scheduler.size();
  }

  int active() {
    return scheduler == null ? 0 : scheduler.active();
  }

  Scheduler scheduler() {
    return scheduler;
  }

  /** Writes the runs waiting too long for a claim, a budget per turn. */
  private void flush() {
    boolean more = !stopping && scheduler.flushHistory(false);
    if (more) {
      context.runOnContext(v -> flush()); // after the timers and answers that queued meanwhile
    }
  }

  private void arm() {
    if (stopping) {
      return;
    }
    long next = scheduler.nextWake();
    if (next == armedFor && timer != null) {
      return;
    }
    if (timer != null) {
      timer.cancel();
      timer = null;
    }
    armedFor = next;
    if (next == Scheduler.NEVER) {
      return;
    }
    // To the microsecond: a delay in whole ms from a whole-ms clock would wake up to 1 ms after the tick's instant.
    Instant now = node.clock.instant();
    long delayMicros = next * 1_000 - (now.getEpochSecond() * 1_000_000 + now.getNano() / 1_000);
    Timer armed = vertx.timer(Math.max(1, delayMicros), TimeUnit.MICROSECONDS);
    timer = armed;
    armed.onSuccess(v -> {
      if (timer != armed) {
        return; // replaced meanwhile
      }
      timer = null;
      armedFor = Scheduler.NEVER;
      onTimer();
    });
  }

  private void onTimer() {
    if (stopping) {
      return;
    }
    if (scheduler.runDue()) {
      context.runOnContext(v -> onTimer()); // more are due: yield to claims and replies first
    } else {
      arm();
    }
  }

  @Override
  public Future<?> stop() {
    // The node leaves once for all shards, and its answer comes on a Hazelcast thread or another shard's loop:
    // continue on this shard's loop, as the scheduler is confined to it (the drain's timer fired on another loop
    // and corrupted the timer heap while this loop fired ticks).
    Promise<Void> left = Promise.promise();
    node.leave().onComplete(ar -> context.runOnContext(v -> left.handle(ar)));
    return left.future().compose(v -> {
      stopping = true;
      node.unregister(this);
      node.store.unsubscribe(subscription);
      vertx.cancelTimer(beatTimer);
      vertx.cancelTimer(reassessTimer);
      vertx.cancelTimer(flushTimer);
      if (timer != null) {
        timer.cancel();
      }
      return drain();
    });
  }

  /**
   * The scheduler is confined to this shard's event loop (its timer heaps are not thread-safe). A callback that
   * arrives elsewhere is a bug: it is logged and moved back, never run concurrently with the loop.
   */
  private boolean onOwnLoop(String what) {
    if (VertxInternals.onEventLoopOf(context)) {
      return true;
    }
    LOG.error("Schedule shard {} was about to run {} on {}, not on its own event loop: a bug in Steward, please report "
      + "it with this line. It was moved back to the shard's loop; nothing was lost.", index, what,
      Thread.currentThread().getName());
    return false;
  }

  /**
   * Lets claims and runs in flight end (their runs are recorded), at most {@link #DRAIN_MS}, then writes the runs
   * not yet written.
   */
  private Future<Void> drain() {
    Promise<Void> done = Promise.promise();
    long deadline = System.currentTimeMillis() + DRAIN_MS;
    vertx.setPeriodic(20, id -> {
      if (!onOwnLoop("its drain")) {
        vertx.cancelTimer(id);
        context.runOnContext(v -> drain().onComplete(done));
        return;
      }
      scheduler.runDue(); // claimed ticks still fire at their time while draining
      if (scheduler.inFlight() == 0 || System.currentTimeMillis() > deadline) {
        vertx.cancelTimer(id);
        scheduler.flushHistory(true);
        vertx.setTimer(200, t -> done.tryComplete()); // the last writes leave
      }
    });
    return done.future();
  }
}
