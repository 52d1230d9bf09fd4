package io.steward.schedule;

import com.hazelcast.map.IMap;
import io.micrometer.core.instrument.Counter;
import io.micrometer.core.instrument.MeterRegistry;
import io.micrometer.core.instrument.Timer;
import io.steward.bus.Addresses;
import io.steward.bus.Metrics;
import io.steward.bus.RateLimitedLog;
import io.vertx.core.Future;
import io.vertx.core.Vertx;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.time.Duration;
import java.util.ArrayList;
import java.util.EnumMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.TimeUnit;
import java.util.function.Predicate;

/**
 * Where runs go: the job's history in {@code steward.schedule.history} (batched per job on this node and written
 * every {@code historyFlushMs}, held back while the fence is up), the meters, and events on
 * {@code steward.schedule.events}.
 */
final class RunLog implements Scheduler.Out {

  static final String HISTORY = "steward.schedule.history";
  private static final Logger LOG = LoggerFactory.getLogger(RunLog.class);
  private static final RateLimitedLog WARN = new RateLimitedLog(LOG, 10_000);

  private final Vertx vertx;
  private final String nodeId;
  private final IMap<String, RunHistory> map;
  private final int capacity;
  private final long flushMs;
  private final boolean runEvents;
  private final Fence fence;
  private final Predicate<String> exists;
  private final ConcurrentHashMap<String, List<RunRecord>> pending = new ConcurrentHashMap<>();
  private final Timer lateness;
  private final Timer duration;
  private final Map<RunRecord.Outcome, Counter> runs = new EnumMap<>(RunRecord.Outcome.class);
  private final Map<ClaimResult.Kind, Counter> claims = new EnumMap<>(ClaimResult.Kind.class);
  private final Counter claimErrors;
  private final Counter abandoned;
  private long timerId = -1;

  RunLog(Vertx vertx, String nodeId, IMap<String, RunHistory> map, ScheduleConfig config, Fence fence, Predicate<String> exists) {
    this.vertx = vertx;
    this.nodeId = nodeId;
    this.map = map;
    this.capacity = config.historySize();
    this.flushMs = config.historyFlushMs();
    this.runEvents = config.runEvents();
    this.fence = fence;
    this.exists = exists;
    MeterRegistry registry = Metrics.registry(vertx);
    lateness = Timer.builder("steward_schedule_lateness")
      .description("How late runs start after their scheduled time (jitter excluded)")
      .serviceLevelObjectives(Duration.ofMillis(1), Duration.ofMillis(5), Duration.ofMillis(20), Duration.ofMillis(100),
        Duration.ofSeconds(1), Duration.ofSeconds(10))
      .register(registry);
    duration = Timer.builder("steward_schedule_run_duration").description("How long runs take, until reply, result or failure")
      .register(registry);
    for (RunRecord.Outcome o : RunRecord.Outcome.values()) {
      runs.put(o, Counter.builder("steward_schedule_runs").description("Ticks by outcome: succeeded, failed, missed, skipped")
        .tag("outcome", o.text).register(registry));
    }
    for (ClaimResult.Kind k : ClaimResult.Kind.values()) {
      claims.put(k, Counter.builder("steward_schedule_claims").description("Cluster-once claims made by this node, by result")
        .tag("result", k.name().toLowerCase(java.util.Locale.ROOT)).register(registry));
    }
    claimErrors = Counter.builder("steward_schedule_claims").description("Cluster-once claims made by this node, by result")
      .tag("result", "error").register(registry);
    abandoned = Counter.builder("steward_schedule_abandoned_claims")
      .description("Claims won while this node stalled; the tick was not run (see README, Scheduling)").register(registry);
  }

  void start() {
    timerId = vertx.setPeriodic(flushMs, t -> flush());
  }

  /** Writes what is pending (also used on shutdown; waits at most 5 s). */
  Future<Void> stop() {
    if (timerId >= 0) {
      vertx.cancelTimer(timerId);
    }
    return flush().timeout(5, TimeUnit.SECONDS).otherwiseEmpty();
  }

  @Override
  public void record(JobRecord job, RunRecord run) {
    pending.compute(job.name(), (k, list) -> {
      List<RunRecord> l = list == null ? new ArrayList<>(4) : list;
      l.add(run);
      if (l.size() > capacity) {
        l.remove(0);
      }
      return l;
    });
    runs.get(run.outcome()).increment();
    if (run.durationMs() >= 0) {
      duration.record(run.durationMs(), TimeUnit.MILLISECONDS);
    }
    if (run.outcome() == RunRecord.Outcome.FAILED) {
      WARN.warn("failed:" + job.name(), "Job '" + job.name() + "' failed its run of " + JobRecord.iso(run.scheduledAt())
        + ": " + run.detail() + " (recorded in its history; the scheduler carries on)");
    }
    if (runEvents) {
      String event = switch (run.outcome()) {
        case MISSED -> "missed";
        case SKIPPED -> "skipped";
        default -> "run";
      };
      vertx.eventBus().publish(Addresses.Schedule.EVENTS, run.toJson().put("event", event).put("name", job.name()));
    }
  }

  @Override
  public void lateness(JobRecord job, long ms) {
    lateness.record(Math.max(0, ms), TimeUnit.MILLISECONDS);
  }

  @Override
  public void claimed(ClaimResult.Kind kind) {
    claims.get(kind).increment();
  }

  @Override
  public void claimFailed(JobRecord job, long tick, Throwable error) {
    claimErrors.increment();
    WARN.warn("claim", "Could not claim or finish tick " + JobRecord.iso(tick) + " of job '" + job.name() + "': "
      + error.getMessage() + ". The tick is not fired by this node; if nobody fires it, the next claim records it as "
      + "missed. Check the cluster (members, partitions, cluster.minimumSize).");
  }

  @Override
  public void abandoned(JobRecord job, long tick) {
    abandoned.increment();
    record(job, RunRecord.missed(tick, nodeId, "this node stalled while claiming it; not run (fence: "
      + fence.reason() + ")"));
  }

  /** Writes each job's pending runs with one entry processor per job; nothing while the fence is up. */
  Future<Void> flush() {
    if (fence.isUp() || pending.isEmpty()) {
      return Future.succeededFuture();
    }
    List<Future<Object>> writes = new ArrayList<>();
    for (String name : new ArrayList<>(pending.keySet())) {
      List<RunRecord> records = pending.remove(name);
      if (records == null || records.isEmpty() || !exists.test(name)) {
        continue;
      }
      writes.add(Future.fromCompletionStage(map.submitToKey(name, new AppendRuns(records, capacity)))
        .onFailure(err -> WARN.warn("history", "Could not write the history of job '" + name + "' (" + err.getMessage()
          + "); " + records.size() + " run record(s) lost. The runs themselves happened.")));
    }
    return Future.join(writes).mapEmpty();
  }

  /** A job's history: what the cluster has, plus this node's runs not yet written. */
  Future<RunHistory> read(String name) {
    return Future.fromCompletionStage(map.getAsync(name)).map(h -> {
      RunHistory out = h == null ? new RunHistory() : h;
      List<List<RunRecord>> copy = new ArrayList<>(1);
      pending.computeIfPresent(name, (k, l) -> {
        copy.add(List.copyOf(l));
        return l;
      });
      if (!copy.isEmpty()) {
        out.add(copy.get(0), capacity);
      }
      return out;
    });
  }

  /** Forgets a deleted job's pending runs. */
  void forget(String name) {
    pending.remove(name);
  }
}
