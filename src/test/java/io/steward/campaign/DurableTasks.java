package io.steward.campaign;

import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;

import java.util.ArrayList;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;

/**
 * Every acknowledged durable task final, its effects at least once, duplicates only where reported (README, Tasks,
 * "When a node dies": "every durable task reaches a final state; its side effects happen at least once";
 * duplicates are "reported"; "A durable submit that is refused does not run"). Anomalies:
 * <ul>
 *   <li><b>not final</b>: a durable task acknowledged by a {@code task.submit.ok} (its own, or one that answered
 *   {@code existing}) with no {@code task.final}, or whose final state is not {@code succeeded}, {@code failed},
 *   {@code timed-out}/{@code timed_out} or {@code cancelled} ({@code lost} is for temporary tasks only), unless two
 *   members were lost at once after its submit ({@link Fault#doubleLosses}: "One backup means one node may die at a
 *   time"), or unless, without {@code settings.minimumSize}, its submit met a fault that may have split the cluster
 *   ({@link Fault#splits}, widened by {@code settings.mergeWindowMs}) that a {@code db-outage} overlapped: the merge
 *   skips the merging side's persisted entries of a map still loading from the unreachable database
 *   (docs/durability.md; seed 1024), or unless, without the minimum, it is {@code refused} and was acknowledged by a
 *   submit answered {@code existing} that met such a split: that side ran a copy of a submit refused elsewhere, and
 *   the merge keeps the refusal (docs/tasks.md; seed 2055), or unless, without the minimum, the node that answered
 *   was on a side of a partition that was then lost whole before the merge ({@link Fault#sideLost}; seed 2083);</li>
 *   <li><b>no effect</b>: such a task final {@code succeeded} with no {@code task.effect} of its id;</li>
 *   <li><b>unreported duplicate</b>: a task (durable or not) with two or more {@code task.effect}s (one attempt twice;
 *   or several attempts of a task that was taken over: {@code task.final.takeovers} above 0, or no final record —
 *   an attempt of a task never taken over is a restart after an abnormal end, which runs the body again by design,
 *   README "Restarts") while neither its {@code task.final.possibleDuplicate} nor any of those effects'
 *   {@code possibleDuplicate} is true, unless the task was taken over ({@code task.final.takeovers} above 0, or no
 *   final record) and one of the effects came during a {@code pause} fault (from its start to
 *   {@code settings.mergeWindowMs} after its end): the README's documented unreported duplicates of a node paused
 *   past failure detection; or one of the effects came during a {@code partition} fault (same window), taken over or
 *   not when {@code settings.minimumSize} is absent: a node cut off past failure detection finishes tasks the other
 *   side runs again, and without the minimum the cut-off side also takes over the other side's tasks, and the merge
 *   keeps one side's record (seed 1007); likewise during a {@code pause} longer than failure detection
 *   ({@link Fault#splits}: without the minimum only), taken over or not: the paused node, alone when it resumes, takes
 *   the others' tasks over (seed 2007). (The history does not name the node that ran an attempt:
 *   {@code task.effect.node} is the bridge that delivered it, so the pause or partition of any node counts);</li>
 *   <li><b>refused but ran</b>: a submit answered {@code task.submit.fail} (a definite refusal) whose marker shows
 *   up in a {@code task.start} or {@code task.effect}.</li>
 * </ul>
 */
final class DurableTasks implements Checker {

  private static final Set<String> DURABLE_FINAL = Set.of("succeeded", "failed", "timed-out", "cancelled");

  @Override
  public String name() {
    return "durable-tasks";
  }

  @Override
  public List<Anomaly> check(History history) {
    Settings settings = Settings.of(history);
    List<Op> submits = Op.of(history, "task.submit");
    Map<String, JsonObject> submitOfMarker = new HashMap<>();
    for (Op s : submits) {
      submitOfMarker.put(s.invoke().getString("marker"), s.invoke());
    }
    Map<String, List<JsonObject>> effects = new LinkedHashMap<>();
    for (JsonObject e : history.ofType("task.effect")) {
      effects.computeIfAbsent(e.getString("taskId"), k -> new ArrayList<>()).add(e);
    }
    Map<String, JsonObject> finals = new HashMap<>();
    for (JsonObject f : history.ofType("task.final")) {
      finals.put(f.getString("taskId"), f);
    }
    // Whether each task id is durable: from the submit that created it, or from the marker its body carried.
    Map<String, Boolean> durable = new HashMap<>();
    for (Op s : submits) {
      if (s.status() == Op.Status.OK && !s.completion().getBoolean("existing", false)) {
        durable.put(s.completion().getString("taskId"), s.invoke().getBoolean("durable", false));
      }
    }
    for (JsonObject e : history.select(e -> "task.start".equals(e.getString("type"))
        || "task.effect".equals(e.getString("type")))) {
      JsonObject submit = submitOfMarker.get(e.getString("marker"));
      if (submit != null) {
        durable.putIfAbsent(e.getString("taskId"), submit.getBoolean("durable", false));
      }
    }
    List<Anomaly> out = new ArrayList<>();
    Set<String> acknowledged = new LinkedHashSet<>();
    Map<String, Op> ackOf = new HashMap<>();
    for (Op s : submits) {
      if (s.status() == Op.Status.OK) {
        String id = s.completion().getString("taskId");
        if (durable.getOrDefault(id, s.invoke().getBoolean("durable", false))) {
          acknowledged.add(id);
          ackOf.putIfAbsent(id, s);
        }
      }
    }
    List<long[]> losses = Fault.doubleLosses(history, settings.mergeWindowMs());
    // A split without the minimum that heals while the database is unreachable: the merging side's persisted
    // entries may be skipped by the merge (docs/durability.md; WARN merge-skips-loading-map; seed 1024).
    List<Fault> outages = Fault.all(history).stream().filter(f -> f.kind().equals("db-outage")).toList();
    List<Fault> storeSplits = Fault.splits(history).stream().filter(sp -> outages.stream()
        .anyMatch(o -> o.overlaps(sp.start(), sp.end() == Long.MAX_VALUE ? sp.end() : sp.end() + settings.mergeWindowMs(),
            0))).toList();
    for (String id : acknowledged) {
      JsonObject fin = finals.get(id);
      String state = fin == null ? null : fin.getString("state", "").replace('_', '-');
      boolean lostCopy = losses.stream().anyMatch(w -> w[1] >= ackOf.get(id).invokedAt())
          || storeSplits.stream().anyMatch(sp -> sp.overlaps(ackOf.get(id).invokedAt(), ackOf.get(id).settledAt(),
              settings.mergeWindowMs()));
      Op ack = ackOf.get(id);
      // Without the minimum, a submit answered "existing" on a side of a split may name a task whose record only that
      // side had, applied late after its submit was refused elsewhere: the merge keeps the refusal (docs/tasks.md,
      // README: "its record says refused"; seed 2055).
      boolean refusedCopy = "refused".equals(state) && ack.completion().getBoolean("existing", false)
          && Fault.splits(history).stream().anyMatch(sp -> sp.overlaps(ack.invokedAt(), ack.settledAt(), settings.mergeWindowMs()));
      // Without the minimum, a side cut off alone acknowledges with no backup; lost with it if it goes before the merge.
      boolean sideLost = Fault.sideLost(history, ack.invoke().getString("node"), ack.settledAt());
      if ((fin == null || !DURABLE_FINAL.contains(state)) && !lostCopy && !refusedCopy && !sideLost) {
        out.add(new Anomaly(name(), "acknowledged durable task " + id + (fin == null ? " has no final record"
            : " is not final: " + fin.getString("state")),
            new JsonObject().put("submit", ackOf.get(id).evidence()).put("final", fin)));
      } else if ("succeeded".equals(state) && !effects.containsKey(id)) {
        out.add(new Anomaly(name(), "durable task " + id + " succeeded but its effect never reached the observer",
            new JsonObject().put("submit", ackOf.get(id).evidence()).put("final", fin)));
      }
    }
    List<Fault> pauses = Fault.all(history).stream().filter(f -> f.kind().equals("pause")).toList();
    List<Fault> partitions = Fault.all(history).stream().filter(f -> f.kind().equals("partition")).toList();
    List<Fault> splits = Fault.splits(history);
    effects.forEach((id, list) -> {
      if (list.size() < 2) {
        return;
      }
      JsonObject fin = finals.get(id);
      Set<Object> attempts = new java.util.HashSet<>();
      list.forEach(e -> attempts.add(e.getValue("attempt")));
      if (attempts.size() == list.size() && fin != null && fin.getInteger("takeovers", -1) == 0) {
        // One effect per attempt and no takeover: each attempt after the first is a restart after an abnormal end
        // (README, Restarts): the body runs again by design, and its request carries the attempt number.
        return;
      }
      boolean reported = (fin != null && fin.getBoolean("possibleDuplicate", false))
          || list.stream().anyMatch(e -> e.getBoolean("possibleDuplicate", false));
      boolean takenOver = fin == null || fin.getInteger("takeovers", 1) > 0;
      boolean paused = takenOver && list.stream().anyMatch(e -> pauses.stream().anyMatch(p ->
          p.contains(e.getLong("t"), e.getLong("t"), settings.mergeWindowMs())));
      boolean split = (takenOver || settings.minimumSize() == null) && list.stream().anyMatch(e ->
          partitions.stream().anyMatch(p -> p.contains(e.getLong("t"), e.getLong("t"), settings.mergeWindowMs())))
          // Without the minimum, a pause past failure detection splits the cluster too: the paused node, alone when
          // it resumes, takes the others' tasks over (seed 2007). Fault.splits is empty with the minimum.
          || list.stream().anyMatch(e -> splits.stream().anyMatch(p -> p.kind().equals("pause")
              && p.contains(e.getLong("t"), e.getLong("t"), settings.mergeWindowMs())));
      if (!reported && !paused && !split) {
        out.add(new Anomaly(name(), "task " + id + " had its effect " + list.size()
            + " times and no report of a possible duplicate",
            new JsonObject().put("effects", new JsonArray(list)).put("final", fin)));
      }
    });
    for (Op s : submits) {
      if (s.status() != Op.Status.FAIL) {
        continue;
      }
      String marker = s.invoke().getString("marker");
      List<JsonObject> ran = history.select(e -> marker != null && marker.equals(e.getString("marker"))
          && ("task.start".equals(e.getString("type")) || "task.effect".equals(e.getString("type"))));
      if (!ran.isEmpty()) {
        out.add(new Anomaly(name(), "a submit refused with " + s.completion().getInteger("code") + " ran anyway (marker "
            + marker + ")", new JsonObject().put("submit", s.evidence()).put("ran", new JsonArray(ran))));
      }
    }
    return out;
  }
}
