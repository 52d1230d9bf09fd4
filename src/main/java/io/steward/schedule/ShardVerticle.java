package io.steward.schedule;

import io.vertx.core.Future;
import io.vertx.core.Promise;
import io.vertx.core.VerticleBase;

import java.util.function.BiConsumer;

/**
 * One scheduler instance: a {@link Scheduler} for the jobs whose names hash to this shard, on its own event
 * loop, with a single Vert.x timer armed for the earliest fire time. Beats for the {@link Fence} every 100 ms
 * and reassesses placement every second (and whenever membership, partitions or the registry change).
 */
final class ShardVerticle extends VerticleBase {

  private static final long REASSESS_MS = 1_000;
  private static final int BUDGET = 2_000;
  private static final long DRAIN_MS = 5_000;

  private final ScheduleNode node;
  private final int index;
  private Scheduler scheduler;
  private BiConsumer<String, JobRecord> subscription;
  private long timerId = -1;
  private long armedFor = Scheduler.NONE;
  private long beatTimer = -1;
  private long reassessTimer = -1;
  private boolean stopping;

  ShardVerticle(ScheduleNode node, int index) {
    this.node = node;
    this.index = index;
  }

  @Override
  public Future<?> start() {
    Scheduler.Settings settings = new Scheduler.Settings(node.nodeId, node.config.misfireThresholdMs(),
      node.config.defaultTimeoutMs(), BUDGET);
    scheduler = new Scheduler(node.clock, cmd -> context.runOnContext(v -> cmd.run()), settings, node.claimsApi,
      node.actions, node.nodes::fires, node.fence.guard(index), node.log);
    node.fence.reset(index);
    subscription = (name, rec) -> {
      if (ScheduleNode.shardOf(name, node.config.instances()) == index) {
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
      if (ScheduleNode.shardOf(rec.name(), node.config.instances()) == index) {
        scheduler.upsert(rec);
      }
    }
    beatTimer = vertx.setPeriodic(Fence.beatMs(), t -> node.fence.beat(index));
    reassessTimer = vertx.setPeriodic(REASSESS_MS, t -> {
      scheduler.reassess();
      arm();
    });
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

  int jobs() {
    return scheduler == null ? 0 : scheduler.size();
  }

  int active() {
    return scheduler == null ? 0 : scheduler.active();
  }

  Scheduler scheduler() {
    return scheduler;
  }

  private void arm() {
    if (stopping) {
      return;
    }
    long next = scheduler.nextFireAt();
    if (next == armedFor && timerId >= 0) {
      return;
    }
    if (timerId >= 0) {
      vertx.cancelTimer(timerId);
      timerId = -1;
    }
    armedFor = next;
    if (next == Scheduler.NONE) {
      return;
    }
    long delay = Math.max(1, next - node.clock.millis());
    timerId = vertx.setTimer(delay, id -> {
      timerId = -1;
      armedFor = Scheduler.NONE;
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
    return node.leave().compose(v -> {
      stopping = true;
      node.unregister(this);
      node.store.unsubscribe(subscription);
      vertx.cancelTimer(beatTimer);
      vertx.cancelTimer(reassessTimer);
      if (timerId >= 0) {
        vertx.cancelTimer(timerId);
      }
      return drain();
    });
  }

  /** Lets claims and runs in flight end (their runs are recorded), at most {@link #DRAIN_MS}. */
  private Future<Void> drain() {
    Promise<Void> done = Promise.promise();
    long deadline = System.currentTimeMillis() + DRAIN_MS;
    vertx.setPeriodic(20, id -> {
      if (scheduler.inFlight() == 0 || System.currentTimeMillis() > deadline) {
        vertx.cancelTimer(id);
        done.tryComplete();
      }
    });
    return done.future();
  }
}
