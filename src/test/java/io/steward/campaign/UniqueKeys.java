package io.steward.campaign;

import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;

import java.util.ArrayList;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;

/**
 * A key never bound to two running tasks (README, Tasks, "Idempotency"; {@code tasks/Submissions}): a key is bound
 * to one task from its acceptance until it is final; it moves to another task only when that task is final, or is
 * a temporary task whose node has left the cluster; with {@code uniqueForMs} on both the first submit and the new
 * one, it stays bound to the finished task for the shorter of the two after the task ended (a submit without it
 * moves the key at once). A task that ended frees the key.
 *
 * <p>A task's life: from its acceptance (its creating {@code task.submit.ok}, or its first {@code task.start} if
 * earlier) to the last {@code task.end} of any of its attempts; an attempt with no end ends when the task's next
 * attempt starts (a survivor took it over), else it is still running at the end. For two
 * different task ids with one key, anomalies:
 * <ul>
 *   <li><b>two running</b>: their {@code task.start}..end intervals (first start to last end) overlap by more than
 *   {@value #TOLERANCE_MS} ms (the observer sees starts and ends through different nodes' bridges: their transit
 *   differs);</li>
 *   <li><b>bound while live</b>: one was accepted (its whole submit, invoke to ok, with {@code existing: false})
 *   while the other was certainly live (after its acceptance, more than {@value #TOLERANCE_MS} ms before its last
 *   end);</li>
 *   <li><b>bound within uniqueForMs</b>: of two consecutive tasks of the key (by first start), the later one's submit
 *   was answered (ok) earlier than the first one's last end + min(both {@code uniqueForMs}) −
 *   {@value #TOLERANCE_MS} ms (the end's transit to the observer).</li>
 * </ul>
 * Not an anomaly: the first of the two is a temporary task and a {@code pause} or {@code partition} fault (of any
 * node: the history does not name the node that ran a task), its window widened by {@code settings.mergeWindowMs}
 * after its end (the sides are two clusters until they merge), met the time between its acceptance and the second
 * task's (its node may have left the cluster; the key moved by design, and the resumed node may still finish it).
 * Nor is a key bound on both sides of a split without {@code settings.minimumSize} (a partition, or a pause longer than
 * {@code settings.failureDetectionMs} when the history records it, widened by {@code mergeWindowMs}, between the two acceptances: README, Guarantees), durable or not.
 * Nor are an abandoned attempt's late messages (docs/tasks.md, Known limits, seed 28): events of an attempt that
 * reach the observer through a node after a later attempt of the same task had started, while that node was paused
 * or cut off by a partition or within {@code settings.mergeWindowMs} after (the node held the attempt's request and
 * delivered it when it resumed or the link came back: seed 1003); they are left out of the task's life.
 * Nor is a key whose binding was lost with two members at once between the two ({@link Fault#doubleLosses}: "a second
 * member lost before the cluster is safe again after the first", README, Guarantees; seed 2174).
 */
final class UniqueKeys implements Checker {

  static final long TOLERANCE_MS = 1000;

  private record Life(String taskId, String key, JsonObject submit, Op submitOp, long accepted, long firstStart,
                      long lastEnd, Set<String> nodes, List<JsonObject> events) { }

  @Override
  public String name() {
    return "unique-keys";
  }

  @Override
  public List<Anomaly> check(History history) {
    List<Fault> faults = Fault.all(history);
    Settings settings = Settings.of(history);
    long mergeWindowMs = settings.mergeWindowMs();
    List<long[]> losses = Fault.doubleLosses(history, mergeWindowMs);
    Map<String, Op> submitOfMarker = new HashMap<>();
    Map<String, Op> creatorOf = new HashMap<>();
    for (Op s : Op.of(history, "task.submit")) {
      submitOfMarker.put(s.invoke().getString("marker"), s);
      if (s.status() == Op.Status.OK && !s.completion().getBoolean("existing", false)) {
        creatorOf.put(s.completion().getString("taskId"), s);
      }
    }
    Map<String, List<JsonObject>> byTask = new LinkedHashMap<>();
    for (JsonObject e : history.select(e -> "task.start".equals(e.getString("type"))
        || "task.end".equals(e.getString("type")))) {
      byTask.computeIfAbsent(e.getString("taskId"), k -> new ArrayList<>()).add(e);
    }
    Map<String, List<Life>> byKey = new LinkedHashMap<>();
    byTask.forEach((id, events) -> {
      JsonObject start = events.stream().filter(e -> e.getString("type").equals("task.start")).findFirst().orElse(null);
      if (start == null) {
        return;
      }
      Op submit = creatorOf.getOrDefault(id, submitOfMarker.get(start.getString("marker")));
      String key = start.getString("key", submit == null ? null : submit.invoke().getString("key"));
      if (key == null) {
        return;
      }
      long firstStart = Long.MAX_VALUE;
      long lastEnd = Long.MIN_VALUE;
      Map<Object, JsonObject> startOfAttempt = new HashMap<>();
      Map<Object, Long> endOfAttempt = new HashMap<>();
      java.util.Set<String> ran = new java.util.HashSet<>();
      events = withoutStaleDeliveries(events, faults, mergeWindowMs);
      for (JsonObject e : events) {
        if (e.getString("type").equals("task.start")) {
          firstStart = Math.min(firstStart, e.getLong("t"));
          startOfAttempt.putIfAbsent(e.getValue("attempt"), e);
          ran.add(e.getString("node"));
        } else {
          endOfAttempt.merge(e.getValue("attempt"), e.getLong("t"), Math::max);
        }
      }
      for (Map.Entry<Object, JsonObject> a : startOfAttempt.entrySet()) {
        Long end = endOfAttempt.get(a.getKey());
        if (end == null) {
          end = nextStart(startOfAttempt.values(), a.getValue().getLong("t"));
        }
        lastEnd = Math.max(lastEnd, end);
      }
      for (Long end : endOfAttempt.values()) {
        lastEnd = Math.max(lastEnd, end);
      }
      long accepted = submit != null && submit.status() == Op.Status.OK && creatorOf.get(id) == submit
          ? Math.min(submit.completion().getLong("t"), firstStart) : firstStart;
      byKey.computeIfAbsent(key, k -> new ArrayList<>()).add(new Life(id, key, submit == null ? null : submit.invoke(),
          submit, accepted, firstStart, lastEnd, ran, events));
    });
    List<Anomaly> out = new ArrayList<>();
    byKey.forEach((key, lives) -> {
      lives.sort((x, y) -> Long.compare(x.firstStart(), y.firstStart()));
      for (int i = 0; i < lives.size(); i++) {
        for (int j = i + 1; j < lives.size(); j++) {
          // The uniqueForMs window is judged between consecutive tasks only: a task in between may have taken the
          // key legitimately (a submit without uniqueForMs moves it), and the next is judged against that one.
          judge(lives.get(i), lives.get(j), j == i + 1, faults, losses, settings, out);
        }
      }
    });
    return out;
  }

  private void judge(Life a, Life b, boolean consecutive, List<Fault> faults, List<long[]> losses, Settings settings,
                     List<Anomaly> out) {
    if (movedByDesign(a, b, faults, settings.mergeWindowMs()) || splitWithoutMinimum(a, b, faults, settings)
        || lostBetween(a, b, losses)) {
      return;
    }
    String what = null;
    if (a.firstStart() < b.lastEnd() && b.firstStart() < minus(a.lastEnd(), TOLERANCE_MS)) {
      what = "tasks " + a.taskId() + " and " + b.taskId() + " of key " + a.key() + " ran at the same time";
    } else if (b.submitOp() != null && b.submitOp().status() == Op.Status.OK
        && !b.submitOp().completion().getBoolean("existing", false)
        && b.submitOp().invokedAt() > a.accepted() && b.submitOp().settledAt() < minus(a.lastEnd(), TOLERANCE_MS)) {
      what = "key " + a.key() + " was bound to task " + b.taskId() + " while task " + a.taskId() + " was live";
    } else if (consecutive && b.firstStart() >= a.lastEnd() && a.lastEnd() != Long.MAX_VALUE) {
      long window = Math.min(uniqueFor(a), uniqueFor(b));
      long answered = b.submitOp() != null && b.submitOp().status() == Op.Status.OK
          ? b.submitOp().completion().getLong("t") : b.firstStart();
      if (window > 0 && answered < a.lastEnd() + window - TOLERANCE_MS) {
        what = "key " + a.key() + " moved to task " + b.taskId() + " " + (answered - a.lastEnd())
            + " ms after task " + a.taskId() + " ended, within uniqueForMs " + window;
      }
    }
    if (what != null) {
      out.add(new Anomaly(name(), what, new JsonObject()
          .put("first", evidence(a)).put("second", evidence(b))));
    }
  }

  private static long minus(long t, long ms) {
    return t == Long.MAX_VALUE ? t : t - ms;
  }

  private static JsonObject evidence(Life l) {
    return new JsonObject().put("taskId", l.taskId()).put("submit", l.submitOp() == null ? null : l.submitOp().evidence())
        .put("events", new JsonArray(l.events()));
  }

  private static long uniqueFor(Life l) {
    return l.submit() == null ? 0 : l.submit().getLong("uniqueForMs", 0L);
  }

  /**
   * A temporary task whose node may have left the cluster (a pause or a partition began before the other task was
   * accepted, and had not ended more than {@code settings.mergeWindowMs} before the first was: the sides stay two
   * clusters after the fault ends until Hazelcast merges them, and a node restarted meanwhile starts a cluster of its
   * own on its side — campaign seed 108). The history does not say which node ran a task ({@code task.start.node} is
   * the bridge that delivered its request), so any node's pause or partition counts.
   */
  /**
   * Two members lost at once ({@link Fault#doubleLosses}) between the first task's acceptance and the second's answer:
   * the key's binding may have been in a partition lost with them (seed 2174).
   */
  private static boolean lostBetween(Life a, Life b, List<long[]> losses) {
    long bAnswered = b.submitOp() != null ? b.submitOp().settledAt() : b.accepted();
    return losses.stream().anyMatch(w -> w[1] >= a.accepted() && w[0] <= bAnswered);
  }

  private static boolean movedByDesign(Life a, Life b, List<Fault> faults, long mergeWindowMs) {
    if (a.submit() == null || a.submit().getBoolean("durable", false)) {
      return false;
    }
    long bAccepted = Math.min(b.accepted(), b.submitOp() == null ? Long.MAX_VALUE : b.submitOp().settledAt());
    for (Fault f : faults) {
      if ((f.kind().equals("pause") || f.kind().equals("partition")) && f.overlaps(a.accepted(), bAccepted, mergeWindowMs)) {
        return true;
      }
    }
    return false;
  }

  /**
   * The task's events less those of an attempt that came through a node after a later attempt had started, during
   * a pause or partition of that node or within {@code mergeWindowMs} after it: a request the node held while the
   * attempt was abandoned, delivered late (docs/tasks.md, Known limits).
   */
  private static List<JsonObject> withoutStaleDeliveries(List<JsonObject> events, List<Fault> faults, long mergeWindowMs) {
    List<JsonObject> kept = new ArrayList<>();
    for (JsonObject e : events) {
      long t = e.getLong("t");
      int attempt = e.getInteger("attempt", 0);
      boolean later = events.stream().anyMatch(o -> o.getString("type").equals("task.start")
          && o.getInteger("attempt", 0) > attempt && o.getLong("t") < t);
      String node = e.getString("node");
      boolean held = later && faults.stream().anyMatch(f -> (f.kind().equals("pause") || f.kind().equals("partition"))
          && f.nodes().contains(node) && f.overlaps(t, t, mergeWindowMs));
      if (!held) {
        kept.add(e);
      }
    }
    return kept;
  }

  /**
   * Without {@code settings.minimumSize}, a split (a partition, or a pause longer than failure detection: the paused
   * node forms a cluster of its own when it resumes), widened by {@code mergeWindowMs}, met the time between the two
   * acceptances: each side binds the key on its own (README, Guarantees, "a task key can be bound on both sides";
   * seed 1009), durable tasks included.
   */
  private static boolean splitWithoutMinimum(Life a, Life b, List<Fault> faults, Settings settings) {
    if (settings.minimumSize() != null) {
      return false;
    }
    long bAccepted = Math.min(b.accepted(), b.submitOp() == null ? Long.MAX_VALUE : b.submitOp().settledAt());
    for (Fault f : faults) {
      boolean split = f.kind().equals("partition")
          || (f.kind().equals("pause") && settings.failureDetectionMs() > 0
              && f.end() - f.start() > settings.failureDetectionMs());
      if (split && f.overlaps(Math.min(a.accepted(), bAccepted), Math.max(a.accepted(), bAccepted), settings.mergeWindowMs())) {
        return true;
      }
    }
    return false;
  }

  /** The start of the task's next attempt after {@code t} (its node died, a survivor runs it again), else never. */
  private static long nextStart(java.util.Collection<JsonObject> starts, long t) {
    long next = Long.MAX_VALUE;
    for (JsonObject s : starts) {
      if (s.getLong("t") > t) {
        next = Math.min(next, s.getLong("t"));
      }
    }
    return next;
  }

}
