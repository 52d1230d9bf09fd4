package io.steward.campaign;

import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;

import java.util.ArrayList;
import java.util.HashMap;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeSet;

/**
 * Missed ticks within the documented bound, and each recorded as missed (README, Scheduling, "The guarantee":
 * "at most ⌈(failure detection + migration) / period⌉ ticks of a job are missed … and each is recorded in the
 * history as missed"; "a tick claimed by a node that dies before its time comes … is lost: it counts as claimed,
 * not missed — at most one per job per failure"). Judged for cluster-once jobs with {@code everyMs} (the tick grid
 * of a cron job is not derived here), between two fires with no put or delete of the job that may have taken effect
 * in between (one whose outcome is unknown may take effect at any later time). Anomalies:
 * <ul>
 *   <li><b>unrecorded</b>: a tick on the grid between two consecutive fired ticks that neither fired nor has a
 *   {@code missed} event (any {@code outcome}), beyond one per node stop between the two fires (the lost claim of
 *   the dying node): a {@code kill} that started then, a {@code clock} fault's start and end (each restarts the
 *   node), each node of a {@code restart} fault that overlaps them. Judged only for a job whose last operation is
 *   an acknowledged put (a deleted job has no history to read) and only for the ticks its history still holds: the
 *   last {@code settings.historySize} (absent: 20, the default of {@code schedule.historySize}) periods before the
 *   history's last event, and for gaps closed (fired again) two periods and {@value #HISTORY_WRITE_MS} ms before
 *   the histories were read (after the last {@code task.final}, else {@code quiet}; not at all when the history has
 *   no final reads);</li>
 *   <li><b>silent</b>: the job fired nothing for longer than {@code settings.missedBoundMs} outside every fault
 *   window (each widened by {@code missedBoundMs} after its end, the failover time): between the acknowledgement
 *   of its put and its first fire, between two fires, or, for a job still defined at the end, between its last
 *   fire and the end of the observation (the first final read after {@code quiet}).</li>
 * </ul>
 * Ticks, fault and put times are compared on the wall clock (ticks are cluster time, the nodes share the host).
 */
final class MissedTicks implements Checker {

  /** How long after its claim a missed run may take to be written to the job's history ({@code historyFlushMs}). */
  static final long HISTORY_WRITE_MS = 1000;

  private static final Set<String> FINAL_READS = Set.of("task.final", "cache.read.final", "node.final", "missed",
      "log.error");

  @Override
  public String name() {
    return "missed-ticks";
  }

  @Override
  public List<Anomaly> check(History history) {
    Settings settings = Settings.of(history);
    Jobs jobs = new Jobs(history);
    List<Fault> faults = Fault.all(history);
    long endOfObservation = endOfObservation(history);
    long lastWall = history.events().stream().mapToLong(e -> e.getLong("wall", 0L)).max().orElse(0L);
    long readAfter = historiesReadAfter(history);
    Map<String, TreeSet<Long>> fired = new HashMap<>();
    Map<String, Map<Long, Long>> receivedAt = new HashMap<>();
    // When the observer received each job's fires (its wall clock): what the silences are measured in. A tick is on
    // the cluster clock, which follows the master's wall clock: a master whose clock is off shifts every tick
    // (seed 2073: node1, 29 s ahead and the master, labelled ticks 29 s later than they fired).
    Map<String, java.util.TreeMap<Long, Long>> receipts = new HashMap<>(); // wall -> t
    for (JsonObject fire : history.ofType("fire")) {
      String job = fire.getString("job");
      if (jobs.clusterOnceAt(job, fire.getLong("t"))) {
        fired.computeIfAbsent(job, j -> new TreeSet<>()).add(fire.getLong("tick"));
        receivedAt.computeIfAbsent(job, j -> new HashMap<>()).putIfAbsent(fire.getLong("tick"), fire.getLong("t"));
        receipts.computeIfAbsent(job, j -> new java.util.TreeMap<>()).putIfAbsent(fire.getLong("wall"), fire.getLong("t"));
      }
    }
    Map<String, Set<Long>> missed = new HashMap<>();
    for (JsonObject m : history.ofType("missed")) {
      missed.computeIfAbsent(m.getString("job"), j -> new HashSet<>()).add(m.getLong("tick"));
    }
    Set<String> named = new TreeSet<>(fired.keySet());
    for (JsonObject e : history.ofType("job.put.invoke")) {
      named.add(e.getString("job"));
    }
    List<Anomaly> out = new ArrayList<>();
    for (String job : named) {
      List<Long> ticks = new ArrayList<>(fired.getOrDefault(job, new TreeSet<>()));
      for (int i = 0; i + 1 < ticks.size(); i++) {
        long a = ticks.get(i);
        long b = ticks.get(i + 1);
        JsonObject def = jobs.definitionAt(job, receivedAt.get(job).get(a));
        if (def == null || !"cluster".equals(def.getString("mode", "cluster")) || def.getLong("everyMs") == null
            || changedBetween(jobs, job, a, b)) {
          continue;
        }
        long period = def.getLong("everyMs");
        // Only a job defined at the end has a history to read, and it keeps its last historySize runs (read at the
        // latest by the history's last event): older ticks cannot be checked.
        long covered = lastWall - (long) settings.historySize() * period;
        if (b - a > period && (b - a) % period == 0 && definedAtEnd(jobs, job) && b > covered
            && b + 2 * period + HISTORY_WRITE_MS <= readAfter) {
          unrecorded(job, Math.max(a, a + ((covered - a) / period) * period), b, period,
              missed.getOrDefault(job, Set.of()), faults, out);
        }
      }
      java.util.TreeMap<Long, Long> got = receipts.getOrDefault(job, new java.util.TreeMap<>());
      List<Long> seen = new ArrayList<>(got.keySet());
      for (int i = 0; i + 1 < seen.size(); i++) {
        long a = seen.get(i);
        long b = seen.get(i + 1);
        JsonObject def = jobs.definitionAt(job, got.get(a));
        if (def != null && "cluster".equals(def.getString("mode", "cluster")) && def.getLong("everyMs") != null
            && !changedBetween(jobs, job, a, b)) {
          silent(job, a, b, "between two fires", settings, faults, out);
        }
      }
      for (Op put : jobs.puts(job)) {
        if (put.status() != Op.Status.OK || !"cluster".equals(put.invoke().getString("mode", "cluster"))
            || put.invoke().getLong("everyMs") == null) {
          continue;
        }
        long ack = put.completion().getLong("wall");
        Long first = receipts.getOrDefault(job, new java.util.TreeMap<>()).ceilingKey(ack);
        long until = first == null ? endOfObservation : first;
        if (!changedBetween(jobs, job, ack + 1, until)) {
          silent(job, ack, until, first == null ? "after its put, never" : "after its put, before its first fire",
              settings, faults, out);
        }
      }
      Long lastTick = fired.containsKey(job) ? fired.get(job).last() : null;
      Long last = receipts.containsKey(job) ? receipts.get(job).lastKey() : null;
      JsonObject lastDef = lastTick == null ? null : jobs.definitionAt(job, receivedAt.get(job).get(lastTick));
      if (last != null && lastDef != null && lastDef.getLong("everyMs") != null && definedAtEnd(jobs, job)
          && !changedBetween(jobs, job, last, endOfObservation)) {
        silent(job, last, endOfObservation, "after its last fire, to the end", settings, faults, out);
      }
    }
    return out;
  }

  private void unrecorded(String job, long a, long b, long period, Set<Long> missed, List<Fault> faults,
                          List<Anomaly> out) {
    List<Long> lost = new ArrayList<>();
    for (long tick = a + period; tick < b; tick += period) {
      if (!missed.contains(tick)) {
        lost.add(tick);
      }
    }
    long failures = 0;
    for (Fault f : faults) {
      boolean startsIn = f.startWall() >= a - period && f.startWall() <= b;
      boolean endsIn = f.endWall() >= a - period && f.endWall() <= b;
      switch (f.kind()) {
        case "kill" -> failures += startsIn ? 1 : 0;
        case "clock" -> failures += (startsIn ? 1 : 0) + (endsIn ? 1 : 0);
        case "restart" -> failures += f.overlapsWall(a - period, b, 0) ? f.nodes().size() : 0;
        default -> { }
      }
    }
    if (lost.size() > failures) {
      out.add(new Anomaly(name(), lost.size() + " ticks of job " + job + " between fired ticks " + a + " and " + b
          + " neither fired nor recorded as missed (" + failures + " may be claims lost with a dying node)",
          new JsonObject().put("job", job).put("firedBefore", a).put("firedAfter", b).put("periodMs", period)
              .put("unrecorded", new JsonArray(lost)).put("failures", failures)));
    }
  }

  private void silent(String job, long from, long to, String where, Settings settings, List<Fault> faults,
                      List<Anomaly> out) {
    long bound = settings.missedBoundMs();
    if (bound <= 0 || to - from <= bound) {
      return;
    }
    // The longest stretch of (from, to) outside every fault window (widened by the bound after its end). A database
    // outage is no such window: the scheduler keeps working from memory (docs/durability.md), nothing fails over.
    List<long[]> windows = new ArrayList<>();
    for (Fault f : faults) {
      if (f.kind().equals("db-outage")) {
        continue;
      }
      long end = f.endWall() == Long.MAX_VALUE ? Long.MAX_VALUE : f.endWall() + bound;
      if (f.startWall() < to && end > from) {
        windows.add(new long[] {Math.max(from, f.startWall()), Math.min(to, end)});
      }
    }
    windows.sort((x, y) -> Long.compare(x[0], y[0]));
    long longest = 0;
    long cursor = from;
    long stretchFrom = from;
    for (long[] w : windows) {
      if (w[0] > cursor && w[0] - cursor > longest) {
        longest = w[0] - cursor;
        stretchFrom = cursor;
      }
      cursor = Math.max(cursor, w[1]);
    }
    if (to - cursor > longest) {
      longest = to - cursor;
      stretchFrom = cursor;
    }
    if (longest > bound) {
      out.add(new Anomaly(name(), "job " + job + " fired nothing for " + longest + " ms outside any fault ("
          + where + "), more than missedBoundMs " + bound,
          new JsonObject().put("job", job).put("silentFrom", stretchFrom).put("silentTo", stretchFrom + longest)
              .put("from", from).put("to", to)));
    }
  }

  /**
   * Whether a put or delete of the job (not refused) may have taken effect between wall times {@code from} and
   * {@code to}: invoked before {@code to} and answered after {@code from} (never, when its outcome is unknown).
   */
  private static boolean changedBetween(Jobs jobs, String job, long from, long to) {
    List<Op> ops = new ArrayList<>(jobs.puts(job));
    ops.addAll(jobs.deletes(job));
    for (Op op : ops) {
      if (op.mayHaveApplied() && op.invoke().getLong("wall") <= to && op.settledWall() >= from) {
        return true;
      }
    }
    return false;
  }

  /** Whether the job's last operation is an acknowledged put. */
  private static boolean definedAtEnd(Jobs jobs, String job) {
    Op last = null;
    List<Op> ops = new ArrayList<>(jobs.puts(job));
    ops.addAll(jobs.deletes(job));
    for (Op op : ops) {
      if (op.mayHaveApplied() && (last == null || op.invokedAt() > last.invokedAt())) {
        last = op;
      }
    }
    return last != null && last.kind().equals("job.put") && last.status() == Op.Status.OK;
  }

  /**
   * A time before the jobs' histories were read: the last {@code task.final} (the runner reads tasks first), else
   * {@code quiet}; {@link Long#MIN_VALUE} when they were not read (no {@code missed}, {@code cache.read.final} or
   * {@code node.final} event: the run stopped before its final reads). A missed tick is written to the history with the claim that ends the gap (or the next one, or
   * within {@code schedule.historyFlushMs}), so only gaps closed well before it can be judged.
   */
  static long historiesReadAfter(History history) {
    long after = 0;
    boolean read = false;
    for (JsonObject e : history.events()) {
      String type = e.getString("type");
      if ("quiet".equals(type) || "task.final".equals(type)) {
        after = Math.max(after, e.getLong("wall", 0L));
      }
      read |= "missed".equals(type) || "cache.read.final".equals(type) || "node.final".equals(type);
    }
    return !read ? Long.MIN_VALUE : after == 0 ? Long.MAX_VALUE : after;
  }

  /** The wall time of the first final read after {@code quiet}, else of the last event. */
  static long endOfObservation(History history) {
    boolean quiet = false;
    long last = 0;
    for (JsonObject e : history.events()) {
      last = Math.max(last, e.getLong("wall", 0L));
      if ("quiet".equals(e.getString("type"))) {
        quiet = true;
      } else if (quiet && FINAL_READS.contains(e.getString("type"))) {
        return e.getLong("wall");
      }
    }
    return last;
  }
}
