package io.steward.campaign;

import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;

import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeSet;

/**
 * Every acknowledged put readable after the quiet phase (README, Cache; Reliability scenario 3: "every acknowledged
 * put readable with its value"). Each key written by {@code cache.put} / {@code cache.delete} (and by no
 * increment or getOrCompute, whose keys the other checkers judge) is a register with concurrent writers; a write takes effect at one instant between its invoke and its
 * answer, a refused one ({@code fail}) never, an indeterminate one ({@code info}, or no answer) at any instant after
 * its invoke or never.
 *
 * <p>The values the key may hold at the end: a write {@code w} that was not refused can be the last one unless
 * some acknowledged write was invoked after {@code w} was answered (that one certainly came later); a delete
 * leaves the key absent; the key is absent when no acknowledged write exists (it was never written). Anomalies: a
 * {@code cache.read.final} of the key whose value (JSON-equal; absent as missing) is none of those; a key with an
 * acknowledged write and no {@code cache.read.final}. The one loss the README names: two members lost at once
 * ({@link Fault#doubleLosses}, two {@code kill} faults on different nodes at once; one backup keeps one copy):
 * after such a loss the key may also be absent or hold any write invoked before the loss ended. And a split brain
 * without {@code cluster.minimumSize} (README, Guarantees: "the sides diverge … acknowledged writes … of the other
 * side are lost"): only in a history without {@code settings.minimumSize}, a write that may have applied and whose
 * invoke-to-answer interval meets a fault that may have split the cluster ({@link Fault#splits}), widened by
 * {@code settings.mergeWindowMs} (the sides are two clusters until they merge), may be the final value, or leave the
 * key absent if it is a delete, whatever was acknowledged after it (campaign seed 1015). With the minimum, the one
 * loss docs/cache.md names ({@link Fault#staleMemberMerges}: a member removed by a side that kept the minimum,
 * merged into after a second fault), only where the merge cannot see that the other copy was written on top of the
 * stale one ({@link Fault#staleMergeMayLose}): for a key with a write acknowledged in such a window, any write that
 * may have applied and was invoked before the window's end may be the final value.
 */
final class CachePuts implements Checker {

  @Override
  public String name() {
    return "cache-puts";
  }

  @Override
  public List<Anomaly> check(History history) {
    Map<String, List<Op>> writes = new LinkedHashMap<>();
    Set<String> counters = new TreeSet<>();
    for (Op op : Op.all(history)) {
      String k = op.invoke().getString("cache") + "/" + op.invoke().getString("key");
      switch (op.kind()) {
        case "cache.put", "cache.delete" -> writes.computeIfAbsent(k, x -> new ArrayList<>()).add(op);
        case "cache.incr", "cache.compute" -> counters.add(k);
        default -> { }
      }
    }
    Map<String, List<JsonObject>> reads = new LinkedHashMap<>();
    for (JsonObject r : history.ofType("cache.read.final")) {
      reads.computeIfAbsent(r.getString("cache") + "/" + r.getString("key"), x -> new ArrayList<>()).add(r);
    }
    long lossEnd = Fault.doubleLosses(history, Settings.of(history).mergeWindowMs()).stream()
        .mapToLong(w -> w[1]).max().orElse(Long.MIN_VALUE);
    Settings settings = Settings.of(history);
    List<Fault> splits = Fault.splits(history);
    List<long[]> staleMerges = Fault.staleMemberMerges(history, settings.mergeWindowMs());
    List<Anomaly> out = new ArrayList<>();
    writes.forEach((k, ops) -> {
      if (counters.contains(k)) {
        return;
      }
      List<Op> candidates = new ArrayList<>();
      boolean acknowledged = false;
      for (Op w : ops) {
        acknowledged |= w.status() == Op.Status.OK;
        if (!w.mayHaveApplied()) {
          continue;
        }
        boolean superseded = ops.stream()
            .anyMatch(o -> o != w && o.status() == Op.Status.OK && o.invokedAt() > w.settledAt());
        if (!superseded) {
          candidates.add(w);
        }
      }
      boolean absentAllowed = !acknowledged || candidates.stream().anyMatch(w -> w.kind().equals("cache.delete"));
      // Two members lost at once may lose the entry: then it may be absent, or hold any write invoked before the
      // loss ended (the later acknowledged writes may have been applied to the copy that was lost).
      if (lossEnd != Long.MIN_VALUE) {
        for (Op w : ops) {
          if (w.mayHaveApplied() && w.invokedAt() <= lossEnd && !candidates.contains(w)) {
            candidates.add(w);
          }
        }
        absentAllowed |= ops.stream().anyMatch(w -> w.invokedAt() <= lossEnd);
      }
      // A split without the minimum: the other side's copy may win the merge, so any write either side may have
      // applied during it may be the last.
      for (Op w : ops) {
        if (w.mayHaveApplied() && !candidates.contains(w)
            && splits.stream().anyMatch(f -> f.overlaps(w.invokedAt(), w.settledAt(), settings.mergeWindowMs()))) {
          candidates.add(w);
          absentAllowed |= w.kind().equals("cache.delete");
        }
      }
      // With the minimum, a member removed by a side that kept it, merged into after a second fault (docs/cache.md,
      // Known limits), when the merge cannot tell the other copy was written on top of its own: its copy from before
      // the first fault may come back, so any write that may have applied
      // and was invoked before the window's end may be the last, whatever was acknowledged after it.
      for (long[] window : staleMerges) {
        if (ops.stream().noneMatch(w -> w.status() == Op.Status.OK && w.settledAt() >= window[0]
            && w.invokedAt() <= window[1])) {
          continue; // nothing acknowledged in the window: nothing of it to lose
        }
        if (!Fault.staleMergeMayLose(ops, window)) {
          continue; // the copy written on top of the stale one wins the merge
        }
        for (Op w : ops) {
          if (w.mayHaveApplied() && w.invokedAt() <= window[1] && !candidates.contains(w)) {
            candidates.add(w);
            absentAllowed |= w.kind().equals("cache.delete");
          }
        }
      }
      List<JsonObject> finals = reads.getOrDefault(k, List.of());
      if (finals.isEmpty() && acknowledged) {
        out.add(new Anomaly(name(), "key " + k + " was written and acknowledged but never read back",
            new JsonObject().put("writes", evidence(ops))));
      }
      for (JsonObject read : finals) {
        if (read.getValue("error") != null) {
          out.add(new Anomaly(name(), "key " + k + " could not be read after the quiet phase: " + read.getValue("error"),
              new JsonObject().put("read", read)));
          continue;
        }
        boolean ok = read.getValue("value") == null ? absentAllowed
            : candidates.stream().anyMatch(w -> w.kind().equals("cache.put")
                && Values.same(w.invoke().getValue("value"), read.getValue("value")));
        if (!ok) {
          JsonArray allowed = new JsonArray();
          candidates.forEach(w -> allowed.add(w.kind().equals("cache.delete") ? null : w.invoke().getValue("value")));
          if (!acknowledged) {
            allowed.addNull();
          }
          out.add(new Anomaly(name(), "key " + k + " reads " + (read.getValue("value") == null ? "absent"
              : read.getValue("value")) + " after the quiet phase; possible last writes: " + allowed.encode(),
              new JsonObject().put("read", read).put("candidates", evidence(candidates)).put("writes", evidence(ops))));
        }
      }
    });
    return out;
  }

  static JsonArray evidence(List<Op> ops) {
    JsonArray a = new JsonArray();
    ops.forEach(o -> a.add(o.evidence()));
    return a;
  }
}
