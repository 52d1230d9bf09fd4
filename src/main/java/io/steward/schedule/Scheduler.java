package io.steward.schedule;

import java.time.Clock;
import java.util.ArrayDeque;
import java.util.Collection;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionStage;
import java.util.concurrent.Executor;

/**
 * The scheduler of one shard of jobs on one node, as pure logic over an injected {@link Clock}: which ticks are
 * due, whether each is on time or missed, whether to claim it, what to do with the claim's answer, and how runs
 * end. It runs on one thread (an event loop); the cluster, the actions and the outputs are interfaces, and
 * every continuation comes back through {@code loop}. Tests drive it with a clock they move and synchronous
 * fakes; {@link ScheduleVerticle} drives it with one Vert.x timer armed for the earliest fire time.
 *
 * <p>Per due tick: the latest due tick M of the job is found (older ones are not fired separately: never a
 * burst); M is late if it is due for longer than its late limit ({@link Ticks#lateLimit}). A late tick is
 * claimed as missed ({@code misfire: skip}) or run once ({@code fire-once}). For {@code cluster-once} jobs the
 * claim ({@link ClaimState#claim}) decides which node fires; its answer also says which ticks nobody claimed
 * since the last claim, and those are recorded as missed.
 */
final class Scheduler {

  static final long NONE = ClaimState.NONE;
  static final long RUN_MARGIN_MS = 1_000;

  /** The cluster-wide claim state. */
  interface Claims {
    CompletionStage<ClaimResult> claim(String job, ClaimState.Claim claim);

    CompletionStage<Long> finish(String job, long tick, String node, long now, long nextRunUntil);
  }

  /** Runs a job's action: completes with a detail (or null) when it succeeded, fails with the reason otherwise. */
  interface Actions {
    CompletionStage<String> run(JobRecord job, long tick, boolean trigger);
  }

  /** Whether this node fires a job now (cluster-once placement, or a selector that admits this node). */
  interface Placement {
    boolean fires(Entry entry);
  }

  /** The fence: while it is up, this node claims nothing (see {@link Fence}). */
  interface Guard {
    boolean fenced();

    long epoch();
  }

  /** History, meters and events. */
  interface Out {
    void record(JobRecord job, RunRecord run);

    void lateness(JobRecord job, long ms);

    void claimed(ClaimResult.Kind kind);

    void claimFailed(JobRecord job, long tick, Throwable error);

    /** A claim was won while this node stalled: the tick is not run (its view of the cluster may be stale). */
    void abandoned(JobRecord job, long tick);
  }

  record Settings(String nodeId, long misfireThresholdMs, long defaultTimeoutMs, int budget) {
  }

  /** One job as this scheduler knows it. */
  static final class Entry {
    JobRecord rec;
    Schedule schedule;
    long nextTick = NONE;
    long fireAt;
    int heapIndex = -1;
    boolean active;
    long localLast = NONE;
    int runningLocal;
    ArrayDeque<Long> localQueue;
    /** Placement's cache (the Hazelcast partition of the job's key). */
    Object placement;

    Entry(JobRecord rec) {
      this.rec = rec;
      this.schedule = rec.schedule();
    }

    String name() {
      return rec.name();
    }
  }

  private final Clock clock;
  private final Executor loop;
  private final Settings settings;
  private final Claims claims;
  private final Actions actions;
  private final Placement placement;
  private final Guard guard;
  private final Out out;
  private final Map<String, Entry> entries = new HashMap<>();
  private final TimerHeap heap = new TimerHeap();
  private int inFlight;

  Scheduler(Clock clock, Executor loop, Settings settings, Claims claims, Actions actions, Placement placement,
            Guard guard, Out out) {
    this.clock = clock;
    this.loop = loop;
    this.settings = settings;
    this.claims = claims;
    this.actions = actions;
    this.placement = placement;
    this.guard = guard;
    this.out = out;
  }

  /** A job was created or changed (older versions than the one known are ignored). */
  void upsert(JobRecord rec) {
    Entry e = entries.get(rec.name());
    if (e == null) {
      e = new Entry(rec);
      entries.put(rec.name(), e);
    } else {
      if (rec.version() <= e.rec.version()) {
        return;
      }
      boolean redefined = rec.since() != e.rec.since();
      e.rec = rec;
      if (redefined) {
        e.schedule = rec.schedule();
      }
      deactivate(e);
    }
    refresh(e, clock.millis());
  }

  void remove(String name) {
    Entry e = entries.remove(name);
    if (e != null) {
      deactivate(e);
    }
  }

  /** Placement may have changed (membership, partitions, the fence): starts and stops jobs accordingly. */
  void reassess() {
    long now = clock.millis();
    for (Entry e : entries.values()) {
      refresh(e, now);
    }
  }

  /** Forgets what this node handled, so every active job catches up (after the fence comes down). */
  void catchUp() {
    long now = clock.millis();
    for (Entry e : entries.values()) {
      if (e.active) {
        deactivate(e);
        activate(e, now);
      }
    }
  }

  private void refresh(Entry e, long now) {
    boolean should = e.rec.live() && placement.fires(e);
    if (should && !e.active) {
      activate(e, now);
    } else if (!should && e.active) {
      deactivate(e);
    }
  }

  /**
   * Starts firing a job on this node. A cluster-once job first looks back: if one of its ticks is due that
   * this node has not handled (it takes over from a node that died, or the job was resumed), the latest one is
   * claimed now (on time, late or as missed), which also records the ticks nobody fired.
   */
  private void activate(Entry e, long now) {
    e.active = true;
    long since = e.rec.since();
    if (!e.rec.spec().runOn().every()) {
      long floor = Math.max(since, e.localLast);
      long recent = e.schedule.next(Math.max(floor, now - 3_600_000));
      long start = recent != Schedule.NONE && recent <= now ? recent : e.schedule.next(floor);
      if (start != Schedule.NONE && start + jitter(e, start) <= now) {
        e.nextTick = start;
        e.fireAt = now;
        heap.add(e);
        return;
      }
    }
    long next = e.schedule.next(Math.max(now, since));
    e.nextTick = next;
    if (next != Schedule.NONE) {
      e.fireAt = next + jitter(e, next);
      heap.add(e);
    }
  }

  private void deactivate(Entry e) {
    heap.remove(e);
    e.active = false;
  }

  /** The earliest fire time queued, or {@link #NONE}. */
  long nextFireAt() {
    Entry head = heap.peek();
    return head == null ? NONE : head.fireAt;
  }

  /**
   * Handles the due entries, at most {@code budget} of them (so the event loop stays responsive); returns
   * whether more are due.
   */
  boolean runDue() {
    long now = clock.millis();
    int n = 0;
    Entry e;
    while ((e = heap.peek()) != null && e.fireAt <= now) {
      if (n++ == settings.budget()) {
        return true;
      }
      heap.poll();
      due(e, now);
    }
    return false;
  }

  private void due(Entry e, long now) {
    long tick = e.nextTick;
    long m = Ticks.latestDue(e.schedule, tick, now, e.name(), e.rec.spec().jitterMs());
    long next = e.schedule.next(m);
    e.nextTick = next;
    if (next != Schedule.NONE) {
      e.fireAt = next + jitter(e, next);
      heap.add(e);
    }
    boolean late = now - (m + jitter(e, m)) > Ticks.lateLimit(e.schedule, m, settings.misfireThresholdMs());
    if (e.rec.spec().runOn().every()) {
      handleLocal(e, tick, m, late, now);
    } else {
      handleClaimed(e, m, late, now);
    }
  }

  private void handleClaimed(Entry e, long m, boolean late, long now) {
    e.localLast = Math.max(e.localLast, m);
    if (guard.fenced()) {
      return; // nothing is claimed or recorded; the next claim after the fence records the gap
    }
    JobRecord rec = e.rec;
    Schedule schedule = e.schedule;
    JobSpec spec = rec.spec();
    boolean miss = late && spec.misfire() == Misfire.SKIP;
    long runUntil = spec.action().fireAndForget() ? 0 : now + spec.action().timeoutOr(settings.defaultTimeoutMs()) + RUN_MARGIN_MS;
    long epoch = guard.epoch();
    inFlight++;
    claims.claim(rec.name(), new ClaimState.Claim(m, settings.nodeId(), now, miss, spec.overlap(), runUntil, spec.queueLimit()))
      .whenComplete((r, err) -> loop.execute(() -> {
        inFlight--;
        onClaim(rec, schedule, m, late, epoch, r, err);
      }));
  }

  private void onClaim(JobRecord rec, Schedule schedule, long m, boolean late, long epoch, ClaimResult r, Throwable err) {
    if (err != null) {
      out.claimFailed(rec, m, err);
      return;
    }
    out.claimed(r.kind());
    if (r.kind() == ClaimResult.Kind.LOST) {
      return;
    }
    if (r.kind() == ClaimResult.Kind.WON && (guard.fenced() || guard.epoch() != epoch)) {
      out.abandoned(rec, r.tick());
      return;
    }
    recordGap(rec, schedule, Math.max(r.previous(), rec.since()), m);
    switch (r.kind()) {
      case WON -> start(rec, r.tick(), true, null);
      case MISSED -> out.record(rec, RunRecord.missed(m, settings.nodeId(), lateReason(rec, m)));
      case SKIPPED -> out.record(rec, RunRecord.skipped(m, settings.nodeId(), rec.spec().overlap() == Overlap.QUEUE
        ? "queue full (queueLimit " + rec.spec().queueLimit() + ")" : "previous run unfinished (overlap: skip)"));
      default -> {
        // QUEUED: runs when the previous run ends
      }
    }
  }

  private void recordGap(JobRecord rec, Schedule schedule, long after, long before) {
    List<Long> gap = Ticks.between(schedule, after, before);
    for (long t : gap) {
      out.record(rec, RunRecord.missed(t, settings.nodeId(), rec.inPause(t) ? "paused"
        : "not fired in time: no node claimed it (failover, downtime or overload)"));
    }
  }

  private String lateReason(JobRecord rec, long tick) {
    if (rec.inPause(tick)) {
      return "paused";
    }
    return "fired too late (" + (clock.millis() - tick) + " ms after its time; misfire: skip)";
  }

  /** every-node (or a selector with every: true): no claim; overlap and misfire apply to this node's runs. */
  private void handleLocal(Entry e, long tick, long m, boolean late, long now) {
    JobRecord rec = e.rec;
    if (m > tick) {
      recordGap(rec, e.schedule, tick - 1, m);
    }
    e.localLast = Math.max(e.localLast, m);
    if (late && rec.spec().misfire() == Misfire.SKIP) {
      out.record(rec, RunRecord.missed(m, settings.nodeId(), lateReason(rec, m)));
      return;
    }
    Overlap overlap = rec.spec().overlap();
    if (overlap != Overlap.ALLOW && e.runningLocal > 0) {
      if (overlap == Overlap.QUEUE) {
        if (e.localQueue == null) {
          e.localQueue = new ArrayDeque<>();
        }
        if (e.localQueue.size() < rec.spec().queueLimit()) {
          e.localQueue.add(m);
          return;
        }
      }
      out.record(rec, RunRecord.skipped(m, settings.nodeId(), overlap == Overlap.QUEUE
        ? "queue full (queueLimit " + rec.spec().queueLimit() + ")" : "previous run unfinished (overlap: skip)"));
      return;
    }
    startLocal(e, rec, m);
  }

  private void startLocal(Entry e, JobRecord rec, long tick) {
    e.runningLocal++;
    start(rec, tick, false, () -> {
      e.runningLocal--;
      if (e.localQueue != null && !e.localQueue.isEmpty() && e.runningLocal == 0) {
        startLocal(e, e.rec, e.localQueue.poll());
      }
    });
  }

  /** Runs the action for a tick and records the run; a cluster-once run then ends its claim (overlap). */
  private void start(JobRecord rec, long tick, boolean claimed, Runnable after) {
    long started = clock.millis();
    out.lateness(rec, started - (tick + Ticks.jitter(rec.name(), tick, rec.spec().jitterMs())));
    inFlight++;
    CompletionStage<String> run;
    try {
      run = actions.run(rec, tick, false);
    } catch (RuntimeException e) {
      run = CompletableFuture.failedFuture(e);
    }
    run.whenComplete((detail, err) -> loop.execute(() -> {
      inFlight--;
      out.record(rec, ended(rec, tick, started, detail, err, false));
      if (claimed && !rec.spec().action().fireAndForget() && rec.spec().overlap() != Overlap.ALLOW) {
        finish(rec, tick);
      }
      if (after != null) {
        after.run();
      }
    }));
  }

  private void finish(JobRecord rec, long tick) {
    long now = clock.millis();
    long nextRunUntil = now + rec.spec().action().timeoutOr(settings.defaultTimeoutMs()) + RUN_MARGIN_MS;
    inFlight++;
    claims.finish(rec.name(), tick, settings.nodeId(), now, nextRunUntil).whenComplete((next, err) -> loop.execute(() -> {
      inFlight--;
      if (err != null) {
        out.claimFailed(rec, tick, err);
      } else if (next != null && next != NONE) {
        start(rec, next, true, null);
      }
    }));
  }

  private RunRecord ended(JobRecord rec, long tick, long started, String detail, Throwable err, boolean trigger) {
    long duration = Math.max(0, clock.millis() - started);
    if (err == null) {
      return new RunRecord(tick, started, duration, settings.nodeId(), RunRecord.Outcome.SUCCEEDED, RunRecord.clip(detail), trigger);
    }
    String reason = err.getMessage() == null ? err.getClass().getSimpleName() : err.getMessage();
    return new RunRecord(tick, started, duration, settings.nodeId(), RunRecord.Outcome.FAILED, RunRecord.clip(reason), trigger);
  }

  /** Runs a job now, outside its schedule and whatever its overlap policy; completes with the recorded run. */
  CompletionStage<RunRecord> trigger(JobRecord rec) {
    CompletableFuture<RunRecord> done = new CompletableFuture<>();
    long started = clock.millis();
    inFlight++;
    CompletionStage<String> run;
    try {
      run = actions.run(rec, started, true);
    } catch (RuntimeException e) {
      run = CompletableFuture.failedFuture(e);
    }
    run.whenComplete((detail, err) -> loop.execute(() -> {
      inFlight--;
      RunRecord r = ended(rec, started, started, detail, err, true);
      out.record(rec, r);
      done.complete(r);
    }));
    return done;
  }

  private static long jitter(Entry e, long tick) {
    return Ticks.jitter(e.name(), tick, e.rec.spec().jitterMs());
  }

  Entry entry(String name) {
    return entries.get(name);
  }

  Collection<Entry> entries() {
    return entries.values();
  }

  int size() {
    return entries.size();
  }

  int active() {
    return heap.size();
  }

  /** Claims, runs and finishes not yet answered. */
  int inFlight() {
    return inFlight;
  }
}
