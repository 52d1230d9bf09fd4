package io.steward.schedule;

import io.steward.bus.Endpoint;

import java.time.Clock;
import java.util.ArrayDeque;
import java.util.ArrayList;
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
 * fakes; {@link ShardVerticle} drives it with one Vert.x timer armed for {@link #nextWake()}.
 *
 * <p>Per job, the latest tick M due within the claim horizon is taken (older ones are not fired separately:
 * never a burst); M is late if it is due for longer than its late limit (the misfire threshold, and never past
 * the next tick). A late tick is claimed as missed ({@code misfire: skip}) or run once ({@code fire-once}). For
 * {@code cluster-once} jobs the claim ({@link JobState#claim}) decides which node fires; its answer also says
 * which ticks nobody claimed since the last claim, and those are recorded as missed.
 *
 * <p>Claims are made ahead: ticks due in the next {@code leadMs + batchMs} are claimed together, at most every
 * {@code batchMs}, in one operation per partition (the batch's synchronous backup carries only that partition's
 * claims); a won tick then waits in a second heap and fires at its time, so the claim's round trip is not in
 * the lateness. Runs are recorded on the job's entry and written with its next claim, or after
 * {@code historyFlushMs}.
 */
final class Scheduler {

  /** No tick (as in {@link JobState}). */
  static final long NONE = JobState.NONE;
  /** Nothing to wake up for. */
  static final long NEVER = Long.MAX_VALUE;
  static final long RUN_MARGIN_MS = 1_000;

  /** One tick to claim, with the runs recorded for its job since its last write. */
  record ClaimRequest(String job, JobState.Claim claim, List<RunRecord> records) {
  }

  /** The cluster-wide job state. */
  interface Claims {
    /** Claims a batch (jobs of one {@link #group}); one result per request, in order. */
    CompletionStage<List<ClaimResult>> claim(List<ClaimRequest> batch);

    CompletionStage<Long> finish(String job, long tick, String node, long now, long nextRunUntil, List<RunRecord> records);

    CompletionStage<Void> append(String job, List<RunRecord> records);

    /** The batch a job's claims travel in (the partition that holds it), 0 to put all in one. */
    int group(Entry entry);
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

  /** Meters and events. */
  interface Out {
    void record(JobRecord job, RunRecord run);

    void lateness(JobRecord job, long ms);

    void claimed(ClaimResult.Kind kind);

    void claimFailed(JobRecord job, long tick, Throwable error);

    /** A claim was won while this node stalled: the tick is not run (its view of the cluster may be stale). */
    void abandoned(JobRecord job, long tick);
  }

  record Settings(String nodeId, long misfireThresholdMs, long defaultTimeoutMs, int budget, long leadMs, long batchMs,
                  long historyFlushMs, int historySize) {
  }

  /** One job as this scheduler knows it; queued by its next fire time. */
  static final class Entry extends TimerHeap.Timed {
    JobRecord rec;
    Schedule schedule;
    long nextTick = NONE;
    boolean active;
    boolean removed;
    long localLast = NONE;
    int runningLocal;
    ArrayDeque<Long> localQueue;
    /** Placement's cache (the partition of the job's key). */
    int partition = -1;
    /** Runs recorded here and not yet written. */
    ArrayList<RunRecord> pending;
    long pendingSince;
    /**
     * Ticks whose claim failed here and that were recorded as missed then (null: none): the gap a later claim
     * finds does not record them again.
     */
    java.util.TreeSet<Long> failedClaims;

    Entry(JobRecord rec) {
      this.rec = rec;
      this.schedule = rec.schedule();
    }

    String name() {
      return rec.name();
    }
  }

  /** A tick to fire at its time: claimed and won, or an every-node tick. */
  private static final class Fire extends TimerHeap.Timed {
    final Entry entry;
    final JobRecord rec;
    final Schedule schedule;
    final long tick;
    final boolean local;
    final boolean lateByDesign;
    final long epoch;

    Fire(Entry entry, JobRecord rec, Schedule schedule, long tick, long fireAt, boolean local, boolean lateByDesign, long epoch) {
      this.entry = entry;
      this.rec = rec;
      this.schedule = schedule;
      this.tick = tick;
      this.at = fireAt;
      this.local = local;
      this.lateByDesign = lateByDesign;
      this.epoch = epoch;
    }
  }

  /** A claim on its way, with what is needed when its answer comes. */
  private record Sent(Entry entry, JobRecord rec, Schedule schedule, long tick, long fireAt, boolean late, ClaimRequest request) {
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
  private final TimerHeap<Entry> ticks = new TimerHeap<>();
  private final TimerHeap<Fire> fires = new TimerHeap<>();
  private long lastClaimWake = Long.MIN_VALUE / 2;
  private boolean claimBacklog;
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

  // ---- jobs ----------------------------------------------------------------------------------------------------

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
      e.removed = true;
      e.pending = null;
    }
  }

  /** Placement may have changed (membership, partitions, the fence): starts and stops jobs accordingly. */
  void reassess() {
    long now = clock.millis();
    int n = 0;
    for (Entry e : entries.values()) {
      refresh(e, now);
      if ((++n & 255) == 0) {
        fireDue(); // a scan of many jobs must not hold back a tick whose time has come
      }
    }
  }

  /** Forgets what this node handled, so every active job catches up (after the fence comes down). */
  void catchUp() {
    long now = clock.millis();
    int n = 0;
    for (Entry e : entries.values()) {
      if (e.active) {
        deactivate(e);
        activate(e, now);
      }
      if ((++n & 255) == 0) {
        fireDue();
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
   * Starts firing a job on this node. A cluster-once job first looks back: if one of its ticks is due that this
   * node has not handled (it takes over from a node that died, or the job was resumed), the latest one is
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
        e.at = now - settings.leadMs() - settings.batchMs();
        ticks.add(e);
        claimBacklog = true;
        return;
      }
    }
    // An every-node tick this node already took into its fires (leadMs ahead) still fires from there: start after
    // it, or a re-activation (catchUp when the fence comes down) fires it twice. Claims guard cluster-once ticks.
    long from = e.rec.spec().runOn().every() ? Math.max(Math.max(now, since), e.localLast) : Math.max(now, since);
    long next = e.schedule.next(from);
    e.nextTick = next;
    if (next != Schedule.NONE) {
      e.at = next + jitter(e, next);
      ticks.add(e);
    }
  }

  private void deactivate(Entry e) {
    ticks.remove(e);
    e.active = false;
  }

  // ---- time ----------------------------------------------------------------------------------------------------

  /** When to run {@link #runDue()} next (0: at once), or {@link #NEVER}. */
  long nextWake() {
    long wake = NEVER;
    Fire f = fires.peek();
    if (f != null) {
      wake = f.at;
    }
    Entry head = ticks.peek();
    if (head != null) {
      long latest = head.at - settings.leadMs();
      long claimAt = claimBacklog ? 0 : Math.min(latest, Math.max(latest - settings.batchMs(), lastClaimWake + settings.batchMs()));
      wake = Math.min(wake, claimAt);
    }
    return wake;
  }

  /**
   * Fires the claimed ticks whose time has come, then claims the ticks due within the horizon, at most
   * {@code budget} of each (so the event loop stays responsive); returns whether more are due.
   */
  boolean runDue() {
    long now = clock.millis();
    int n = 0;
    Fire f;
    while ((f = fires.peek()) != null && f.at <= now) {
      if (n++ == settings.budget()) {
        return true;
      }
      fires.poll();
      fire(f, now);
    }
    Entry head = ticks.peek();
    if (head == null) {
      claimBacklog = false;
      return false;
    }
    long latest = head.at - settings.leadMs();
    if (!claimBacklog && now < Math.min(latest, Math.max(latest - settings.batchMs(), lastClaimWake + settings.batchMs()))) {
      return false;
    }
    lastClaimWake = now;
    long horizon = now + settings.leadMs() + settings.batchMs();
    Map<Integer, List<Sent>> batches = new HashMap<>(512);
    int claimed = 0;
    Entry e;
    while ((e = ticks.peek()) != null && e.at <= horizon) {
      if (claimed++ == settings.budget()) {
        send(batches);
        claimBacklog = true;
        return true;
      }
      ticks.poll();
      due(e, now, horizon, batches);
      if ((claimed & 63) == 0) {
        fireDue(); // claiming ahead must not hold back a tick whose time has come
      }
    }
    claimBacklog = false;
    send(batches);
    Fire next = fires.peek();
    return next != null && next.at <= now;
  }

  /** Fires the claimed ticks whose time has come (between other work on the loop). */
  void fireDue() {
    long now = clock.millis();
    Fire f;
    while ((f = fires.peek()) != null && f.at <= now) {
      fires.poll();
      fire(f, now);
    }
  }

  private void due(Entry e, long now, long horizon, Map<Integer, List<Sent>> batches) {
    long tick = e.nextTick;
    long[] mn = Ticks.latestDue(e.schedule, tick, horizon, e.name(), e.rec.spec().jitterMs());
    long m = mn[0];
    long next = mn[1];
    e.nextTick = next;
    if (next != Schedule.NONE) {
      e.at = next + jitter(e, next);
      ticks.add(e);
    }
    long fireAt = m + jitter(e, m);
    JobRecord rec = e.rec;
    if (rec.spec().runOn().every()) {
      if (m > tick) {
        recordGap(e, rec, e.schedule, tick - 1, m);
      }
      e.localLast = Math.max(e.localLast, m);
      schedule(new Fire(e, rec, e.schedule, m, fireAt, true, false, 0), now);
      return;
    }
    e.localLast = Math.max(e.localLast, m);
    if (guard.fenced()) {
      return; // nothing is claimed or recorded; the next claim after the fence records the gap
    }
    JobSpec spec = rec.spec();
    boolean late = now - fireAt > lateLimit(m, next);
    boolean miss = late && spec.misfire() == Misfire.SKIP;
    long start = Math.max(now, fireAt);
    long runUntil = spec.action().fireAndForget() ? 0 : start + spec.action().timeoutOr(settings.defaultTimeoutMs()) + RUN_MARGIN_MS;
    ClaimRequest request = new ClaimRequest(rec.name(),
      new JobState.Claim(m, settings.nodeId(), now, miss, spec.overlap(), runUntil, spec.queueLimit(), rec.version()), takePending(e));
    batches.computeIfAbsent(claims.group(e), k -> new ArrayList<>()).add(new Sent(e, rec, e.schedule, m, fireAt, late, request));
  }

  private long lateLimit(long tick, long next) {
    return next == Schedule.NONE ? settings.misfireThresholdMs() : Math.min(settings.misfireThresholdMs(), next - tick);
  }

  private void send(Map<Integer, List<Sent>> batches) {
    if (batches.isEmpty()) {
      return;
    }
    long epoch = guard.epoch();
    int sent = 0;
    for (List<Sent> batch : batches.values()) {
      if ((++sent & 15) == 0) {
        fireDue(); // each operation costs the loop some microseconds: a tick whose time comes meanwhile goes first
      }
      List<ClaimRequest> requests = new ArrayList<>(batch.size());
      batch.forEach(s -> requests.add(s.request));
      inFlight++;
      CompletionStage<List<ClaimResult>> answer;
      try {
        answer = claims.claim(requests);
      } catch (RuntimeException err) {
        answer = CompletableFuture.failedFuture(err);
      }
      answer.whenComplete((results, err) -> loop.execute(() -> {
        inFlight--;
        for (int i = 0; i < batch.size(); i++) {
          try {
            onClaim(batch.get(i), epoch, err == null ? results.get(i) : null, err);
          } catch (RuntimeException bug) {
            out.claimFailed(batch.get(i).rec, batch.get(i).tick, bug);
          }
        }
      }));
    }
  }

  private void onClaim(Sent s, long epoch, ClaimResult r, Throwable err) {
    JobRecord rec = s.rec;
    if (err != null) {
      requeue(s.entry, s.request.records());
      out.claimFailed(rec, s.tick, err);
      failedClaim(s.entry, rec, s.tick, err);
      return;
    }
    out.claimed(r.kind());
    if (r.kind() == ClaimResult.Kind.LOST || s.entry.removed) {
      return; // lost, or the job was deleted meanwhile: nothing fires, nothing is recorded
    }
    if (r.kind() == ClaimResult.Kind.WON && (guard.fenced() || guard.epoch() != epoch)) {
      abandon(s.entry, rec, r.tick());
      return;
    }
    recordGap(s.entry, rec, s.schedule, Math.max(r.previous(), rec.since()), s.tick);
    long now = clock.millis();
    switch (r.kind()) {
      case WON -> {
        if (r.tick() != s.tick) {
          start(s.entry, rec, r.tick(), true, null); // an older queued tick: it runs now
        } else {
          schedule(new Fire(s.entry, rec, s.schedule, s.tick, s.fireAt, false, s.late, epoch), now);
        }
      }
      case MISSED -> record(s.entry, rec, RunRecord.missed(s.tick, settings.nodeId(), lateReason(rec, s.tick, now)));
      case SKIPPED -> record(s.entry, rec, RunRecord.skipped(s.tick, settings.nodeId(), rec.spec().overlap() == Overlap.QUEUE
        ? "queue full (queueLimit " + rec.spec().queueLimit() + ")" : "previous run unfinished (overlap: skip)"));
      default -> {
        // QUEUED: runs when the previous run ends
      }
    }
  }

  private void schedule(Fire f, long now) {
    if (f.at <= now) {
      fire(f, now);
    } else {
      fires.add(f);
    }
  }

  private void fire(Fire f, long now) {
    if (f.entry.removed) {
      return; // deleted since it was claimed or taken in: a deleted job never starts
    }
    if (f.local) {
      handleLocal(f, now);
      return;
    }
    if (guard.fenced() || guard.epoch() != f.epoch) {
      abandon(f.entry, f.rec, f.tick);
      return;
    }
    if (!f.lateByDesign && now - f.at > lateLimit(f.tick, f.schedule.next(f.tick))) {
      // Claimed in time, but the answer came after the tick's late limit: never run a string of such ticks at once.
      record(f.entry, f.rec, RunRecord.missed(f.tick, settings.nodeId(), "claimed in time, but the claim's answer came "
        + (now - f.at) + " ms after the tick's time"));
      if (!f.rec.spec().action().fireAndForget() && f.rec.spec().overlap() != Overlap.ALLOW) {
        finish(f.entry, f.rec, f.tick);
      }
      return;
    }
    start(f.entry, f.rec, f.tick, true, null);
  }

  private void abandon(Entry e, JobRecord rec, long tick) {
    out.abandoned(rec, tick);
    record(e, rec, RunRecord.missed(tick, settings.nodeId(), "this node stalled while claiming it; not run"));
  }

  private void recordGap(Entry e, JobRecord rec, Schedule schedule, long after, long before) {
    List<Long> gap = Ticks.between(schedule, after, before);
    java.util.TreeSet<Long> failed = e.failedClaims;
    for (long t : gap) {
      if (failed != null && failed.contains(t)) {
        continue; // recorded when its claim failed
      }
      record(e, rec, RunRecord.missed(t, settings.nodeId(), rec.inPause(t) ? "paused"
        : "not fired in time: no node claimed it (failover, downtime or overload)"));
    }
    if (failed != null) {
      failed.headSet(before, true).clear();
      if (failed.isEmpty()) {
        e.failedClaims = null;
      }
    }
  }

  /**
   * A claim answered failed: this node does not fire the tick, and records it as missed at once. The claim may have
   * been applied all the same (its owner applied it and the answer was lost: no backup acknowledged it in time, or the
   * owner left), and then it holds the tick: no node fires it, and the next claim's gap starts after it, so nobody
   * else would record it (campaign seed 2035). Recorded once: the gap of a later claim skips it. The one case where
   * the record says more than happened: the claim was not applied and another node claimed and fired that very
   * tick (its run is then in the history too).
   */
  private void failedClaim(Entry e, JobRecord rec, long tick, Throwable err) {
    if (e.removed || tick == NONE) {
      return;
    }
    if (e.failedClaims == null) {
      e.failedClaims = new java.util.TreeSet<>();
    }
    if (e.failedClaims.size() >= settings.historySize()) {
      e.failedClaims.pollFirst();
    }
    if (e.failedClaims.add(tick)) {
      record(e, rec, RunRecord.missed(tick, settings.nodeId(), "not fired: its claim failed ("
        + (Endpoint.indeterminate(err) ? "no backup acknowledged it in time, or the job's owner left" : String.valueOf(err.getMessage()))
        + "); a claim that reached the job's owner holds the tick all the same, so no node fires it"));
    }
  }

  private String lateReason(JobRecord rec, long tick, long now) {
    if (rec.inPause(tick)) {
      return "paused";
    }
    return "fired too late (" + (now - tick) + " ms after its time; misfire: skip)";
  }

  /** every-node (or a selector with every: true): no claim; overlap and misfire apply to this node's runs. */
  private void handleLocal(Fire f, long now) {
    Entry e = f.entry;
    JobRecord rec = f.rec;
    long next = f.schedule.next(f.tick);
    if (now - f.at > lateLimit(f.tick, next) && rec.spec().misfire() == Misfire.SKIP) {
      record(e, rec, RunRecord.missed(f.tick, settings.nodeId(), lateReason(rec, f.tick, now)));
      return;
    }
    Overlap overlap = rec.spec().overlap();
    if (overlap != Overlap.ALLOW && e.runningLocal > 0) {
      if (overlap == Overlap.QUEUE) {
        if (e.localQueue == null) {
          e.localQueue = new ArrayDeque<>();
        }
        if (e.localQueue.size() < rec.spec().queueLimit()) {
          e.localQueue.add(f.tick);
          return;
        }
      }
      record(e, rec, RunRecord.skipped(f.tick, settings.nodeId(), overlap == Overlap.QUEUE
        ? "queue full (queueLimit " + rec.spec().queueLimit() + ")" : "previous run unfinished (overlap: skip)"));
      return;
    }
    startLocal(e, rec, f.tick);
  }

  private void startLocal(Entry e, JobRecord rec, long tick) {
    e.runningLocal++;
    start(e, rec, tick, false, () -> {
      e.runningLocal--;
      if (e.localQueue != null && !e.localQueue.isEmpty() && e.runningLocal == 0) {
        startLocal(e, e.rec, e.localQueue.poll());
      }
    });
  }

  // ---- runs ----------------------------------------------------------------------------------------------------

  /** Runs the action for a tick and records the run; a cluster-once run then ends its claim (overlap). */
  private void start(Entry e, JobRecord rec, long tick, boolean claimed, Runnable after) {
    if (e.removed) {
      return; // deleted meanwhile (a queued tick handed over by the end of a run, or a local queue)
    }
    long started = clock.millis();
    out.lateness(rec, started - (tick + Ticks.jitter(rec.name(), tick, rec.spec().jitterMs())));
    inFlight++;
    CompletionStage<String> run;
    try {
      run = actions.run(rec, tick, false);
    } catch (RuntimeException err) {
      run = CompletableFuture.failedFuture(err);
    }
    run.whenComplete((detail, err) -> loop.execute(() -> {
      inFlight--;
      record(e, rec, ended(tick, started, detail, err, false));
      if (claimed && !rec.spec().action().fireAndForget() && rec.spec().overlap() != Overlap.ALLOW) {
        finish(e, rec, tick);
      }
      if (after != null) {
        after.run();
      }
    }));
  }

  /**
   * Ends a run's claim; the answer may hand over the next queued tick, which starts here only if this node was
   * not fenced meanwhile (as for a claim): a node back from a stall may be answered from a stale replica, and a
   * successor may already have run that tick. An abandoned tick holds the job until {@code nextRunUntil}.
   */
  private void finish(Entry e, JobRecord rec, long tick) {
    long now = clock.millis();
    long nextRunUntil = now + rec.spec().action().timeoutOr(settings.defaultTimeoutMs()) + RUN_MARGIN_MS;
    List<RunRecord> records = takePending(e);
    long epoch = guard.epoch();
    inFlight++;
    claims.finish(rec.name(), tick, settings.nodeId(), now, nextRunUntil, records).whenComplete((next, err) -> loop.execute(() -> {
      inFlight--;
      if (err != null) {
        requeue(e, records);
        out.claimFailed(rec, tick, err);
      } else if (next != null && next != NONE) {
        if (guard.fenced() || guard.epoch() != epoch) {
          abandon(e, rec, next);
        } else {
          start(e, rec, next, true, null);
        }
      }
    }));
  }

  private RunRecord ended(long tick, long started, String detail, Throwable err, boolean trigger) {
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
    } catch (RuntimeException err) {
      run = CompletableFuture.failedFuture(err);
    }
    run.whenComplete((detail, err) -> loop.execute(() -> {
      inFlight--;
      RunRecord r = ended(started, started, detail, err, true);
      out.record(rec, r);
      claims.append(rec.name(), List.of(r)).whenComplete((v, e) -> done.complete(r));
    }));
    return done;
  }

  // ---- history -------------------------------------------------------------------------------------------------

  /** Counts a run and keeps it on the job's entry until it is written (or writes it now if the job is gone). */
  private void record(Entry e, JobRecord rec, RunRecord run) {
    out.record(rec, run);
    if (e == null || e.removed) {
      return;
    }
    if (e.pending == null || e.pending.isEmpty()) {
      if (e.pending == null) {
        e.pending = new ArrayList<>(2);
      }
      e.pendingSince = clock.millis();
    }
    e.pending.add(run);
    if (e.pending.size() > settings.historySize()) {
      e.pending.remove(0);
    }
  }

  private static List<RunRecord> takePending(Entry e) {
    if (e.pending == null || e.pending.isEmpty()) {
      return List.of();
    }
    List<RunRecord> taken = e.pending;
    e.pending = null;
    return taken;
  }

  private void requeue(Entry e, List<RunRecord> records) {
    if (records.isEmpty() || e.removed) {
      return;
    }
    if (e.pending == null || e.pending.isEmpty()) {
      e.pending = new ArrayList<>(records);
      e.pendingSince = clock.millis();
    } else {
      e.pending.addAll(0, records);
    }
  }

  /**
   * Writes the runs that waited {@code historyFlushMs} without a claim to carry them (all of them if
   * {@code all}); nothing while the fence is up. A scan of this shard's jobs: no structure to keep per run.
   * Unless {@code all}, at most {@code budget} writes per call: an overloaded node can have runs waiting on every
   * job, and tens of thousands of writes in one turn held the loop for seconds (long enough to raise the fence);
   * returns whether more are waiting (the caller goes on in a later turn).
   */
  boolean flushHistory(boolean all) {
    if (guard.fenced()) {
      return false;
    }
    long cutoff = clock.millis() - settings.historyFlushMs();
    int n = 0;
    int written = 0;
    for (Entry e : entries.values()) {
      if ((++n & 255) == 0) {
        fireDue();
      }
      if (e.pending == null || e.pending.isEmpty() || (!all && e.pendingSince > cutoff)) {
        continue;
      }
      if (!all && written++ == settings.budget()) {
        return true;
      }
      List<RunRecord> records = takePending(e);
      inFlight++;
      claims.append(e.name(), records).whenComplete((v, err) -> loop.execute(() -> {
        inFlight--;
        if (err != null) {
          out.claimFailed(e.rec, NONE, err);
        }
      }));
    }
    return false;
  }

  private static long jitter(Entry e, long tick) {
    return Ticks.jitter(e.name(), tick, e.rec.spec().jitterMs());
  }

  int size() {
    return entries.size();
  }

  int active() {
    return ticks.size();
  }

  /** Claims, runs and writes not yet answered, and ticks claimed but not yet fired. */
  int inFlight() {
    return inFlight + fires.size();
  }
}
