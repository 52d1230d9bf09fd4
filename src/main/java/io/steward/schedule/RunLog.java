package io.steward.schedule;

import com.hazelcast.map.IMap;
import io.micrometer.core.instrument.Counter;
import io.micrometer.core.instrument.MeterRegistry;
import io.micrometer.core.instrument.Timer;
import io.steward.bus.Addresses;
import io.steward.observe.Metrics;
import io.steward.observe.RateLimitedLog;
import io.vertx.core.Future;
import io.vertx.core.Vertx;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.time.Duration;
import java.util.EnumMap;
import java.util.Map;
import java.util.concurrent.TimeUnit;

/**
 * The meters and events of runs ({@code steward.schedule.events}), and the reading of a job's history from its
 * state entry. The schedulers keep each job's runs until they write them (see {@link Scheduler}).
 */
final class RunLog implements Scheduler.Out {

  private static final Logger LOG = LoggerFactory.getLogger(RunLog.class);
  private static final RateLimitedLog WARN = new RateLimitedLog(LOG, 10_000);

  private final Vertx vertx;
  private final IMap<String, JobState> map;
  private final String runEvents;
  private final Timer lateness;
  private final Timer duration;
  private final Map<RunRecord.Outcome, Counter> runs = new EnumMap<>(RunRecord.Outcome.class);
  private final Map<ClaimResult.Kind, Counter> claims = new EnumMap<>(ClaimResult.Kind.class);
  private final Counter claimErrors;
  private final Counter abandoned;

  RunLog(Vertx vertx, IMap<String, JobState> map, ScheduleConfig config) {
    this.vertx = vertx;
    this.map = map;
    this.runEvents = config.runEvents();
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
      .description("Claims won while this node stalled; the tick was not run (see docs/schedule.md)").register(registry);
  }

  @Override
  public void record(JobRecord job, RunRecord run) {
    runs.get(run.outcome()).increment();
    if (run.durationMs() >= 0) {
      duration.record(run.durationMs(), TimeUnit.MILLISECONDS);
    }
    boolean problem = run.outcome() != RunRecord.Outcome.SUCCEEDED;
    if (run.outcome() == RunRecord.Outcome.FAILED) {
      WARN.warn("failed:" + job.name(), "Job '" + job.name() + "' failed its run of " + JobRecord.iso(run.scheduledAt())
        + ": " + run.detail() + " (recorded in its history; the scheduler carries on)");
    }
    if (runEvents.equals("all") || (problem && runEvents.equals("problems"))) {
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
    WARN.warn("claim", "A write to the state of job '" + job.name() + "' failed"
      + (tick == Scheduler.NONE ? "" : " (tick " + JobRecord.iso(tick) + ")") + ": " + error.getMessage()
      + ". A tick not claimed is not fired by this node; if nobody fires it, the next claim records it as missed. "
      + "Check the cluster (members, partitions, cluster.minimumSize).");
  }

  @Override
  public void abandoned(JobRecord job, long tick) {
    abandoned.increment();
  }

  /** A job's history as the cluster has it (runs reach it with the job's next claim, or within historyFlushMs). */
  Future<RunHistory> read(String name) {
    return Future.fromCompletionStage(map.getAsync(name)).map(state -> state == null ? new RunHistory() : state.history());
  }
}
