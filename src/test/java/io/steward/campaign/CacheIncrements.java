package io.steward.campaign;

import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;

import java.util.ArrayList;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;

/**
 * Every acknowledged increment counted exactly once (README, Cache, "When the outcome of an update is unknown":
 * "an acknowledged update was applied exactly once; a 504 … means unknown"; retries with the same {@code opId}
 * apply it once). For each key written only by {@code cache.incr} (a delete forgets the remembered ids, a put
 * replaces the value: such keys are not judged), the operations are grouped by {@code opId} (one group is one
 * logical update however often it was sent): a group with an {@code ok} is applied exactly once, a group of only
 * refusals never, any other group (some {@code info}) once or not at all.
 *
 * <p>Anomaly: the {@code cache.read.final} value (absent counts as 0, the initial value) minus the sum of the
 * applied groups' deltas is not the sum of some subset of the unknown groups' deltas (too low: an acknowledged
 * increment lost; too high: one counted twice, or a refused one applied); or a key with an acknowledged increment
 * and no final read. After two members were lost at once ({@link Fault#doubleLosses}: one backup keeps one copy,
 * the README's named loss) a counter may have lost its entry: then only a value above every increment that may
 * have applied is an anomaly.
 *
 * <p>The one loss the README names for a split brain (Guarantees: without {@code cluster.minimumSize} "the sides
 * diverge: the latest update of each entry wins the merge, so acknowledged writes and increments of the other side
 * are lost") is excused exactly: only in a history without {@code settings.minimumSize}, and only for an
 * acknowledged increment whose invoke-to-answer interval meets the window of a fault that may have split the cluster
 * ({@link Fault#splits}: a {@code partition} longer than half of {@code settings.failureDetectionMs}, the node that
 * answered on one of its sides, or a {@code pause} longer than it), widened by {@code mergeWindowMs} after its end (the sides merge after the fault).
 * Such an increment may be missing (it counts like an unknown one that was applied or not); it may never count
 * twice. Increments acknowledged outside those windows stay applied exactly once; with {@code minimumSize} set, so
 * does every increment except in the one case docs/cache.md names ({@link Fault#staleMemberMerges}: a member
 * removed by a side that kept the minimum, merged into after a second fault), where the merge cannot see that the
 * other copy was written on top of the stale one ({@link Fault#staleMergeMayLose}): an increment acknowledged in such
 * a window may be missing too.
 */
final class CacheIncrements implements Checker {

  /** Beyond this many reachable sums of unknown deltas the check falls back to the range they span. */
  private static final int MAX_SUMS = 1 << 20;

  @Override
  public String name() {
    return "cache-increments";
  }

  @Override
  public List<Anomaly> check(History history) {
    Map<String, Map<String, List<Op>>> byKey = new LinkedHashMap<>();
    Set<String> otherWrites = new HashSet<>();
    for (Op op : Op.all(history)) {
      String k = op.invoke().getString("cache") + "/" + op.invoke().getString("key");
      if (op.kind().equals("cache.incr")) {
        String opId = op.invoke().getString("opId", "op-" + op.invoke().getValue("op"));
        byKey.computeIfAbsent(k, x -> new LinkedHashMap<>()).computeIfAbsent(opId, x -> new ArrayList<>()).add(op);
      } else if (op.kind().equals("cache.put") || op.kind().equals("cache.delete")
          || op.kind().equals("cache.compute")) {
        otherWrites.add(k);
      }
    }
    Map<String, List<JsonObject>> reads = new LinkedHashMap<>();
    for (JsonObject r : history.ofType("cache.read.final")) {
      reads.computeIfAbsent(r.getString("cache") + "/" + r.getString("key"), x -> new ArrayList<>()).add(r);
    }
    Settings settings = Settings.of(history);
    List<Fault> splits = Fault.splits(history);
    List<long[]> staleMerges = Fault.staleMemberMerges(history, settings.mergeWindowMs());
    long lossEnd = Fault.doubleLosses(history, Settings.of(history).mergeWindowMs()).stream()
        .mapToLong(w -> w[1]).max().orElse(Long.MIN_VALUE);
    List<Anomaly> out = new ArrayList<>();
    byKey.forEach((k, groups) -> {
      if (otherWrites.contains(k)) {
        return;
      }
      long applied = 0;
      List<Long> unknown = new ArrayList<>();
      JsonArray unknownIds = new JsonArray();
      boolean acknowledged = false;
      JsonArray splitIds = new JsonArray();
      List<Op> keyOps = groups.values().stream().flatMap(List::stream).toList();
      List<long[]> losing = staleMerges.stream().filter(w -> Fault.staleMergeMayLose(keyOps, w)).toList();
      for (Map.Entry<String, List<Op>> g : groups.entrySet()) {
        long delta = g.getValue().get(0).invoke().getLong("delta", 1L);
        List<Op> acks = g.getValue().stream().filter(o -> o.status() == Op.Status.OK).toList();
        if (!acks.isEmpty() && (acks.stream().anyMatch(o -> duringSplit(o, splits, settings.mergeWindowMs()))
            || acks.stream().anyMatch(o -> losing.stream().anyMatch(w -> o.settledAt() >= w[0] && o.invokedAt() <= w[1])))) {
          unknown.add(delta); // the README's split-brain loss: acknowledged on a side, may lose the merge
          splitIds.add(g.getKey());
          acknowledged = true;
        } else if (!acks.isEmpty()) {
          applied += delta;
          acknowledged = true;
        } else if (g.getValue().stream().anyMatch(Op::mayHaveApplied)) {
          unknown.add(delta);
          unknownIds.add(g.getKey());
        }
      }
      List<JsonObject> finals = reads.getOrDefault(k, List.of());
      if (finals.isEmpty() && acknowledged) {
        out.add(new Anomaly(name(), "counter " + k + " had acknowledged increments but was never read back",
            new JsonObject().put("applied", applied)));
      }
      for (JsonObject read : finals) {
        if (read.getValue("error") != null) {
          out.add(new Anomaly(name(), "key " + k + " could not be read after the quiet phase: " + read.getValue("error"),
              new JsonObject().put("read", read)));
          continue;
        }
        Object v = read.getValue("value");
        if (v != null && !(v instanceof Number)) {
          out.add(new Anomaly(name(), "counter " + k + " reads a value that is not a number: " + v,
              new JsonObject().put("read", read)));
          continue;
        }
        long value = v == null ? 0 : ((Number) v).longValue();
        boolean lostCopy = lossEnd != Long.MIN_VALUE;
        long most = applied + unknown.stream().filter(d -> d > 0).mapToLong(Long::longValue).sum();
        if (lostCopy ? value > most : !reachable(value - applied, unknown)) {
          String excused = splitIds.isEmpty() ? "" : " (" + splitIds.size() + " of them acknowledged during a split "
              + "without cluster.minimumSize, which may be lost)";
          String how = value < applied ? "an acknowledged increment was lost" : "an increment was counted twice";
          out.add(new Anomaly(name(), "counter " + k + " reads " + value + ", acknowledged increments sum to "
              + applied + " and no subset of the " + unknown.size() + " unknown ones" + excused + " makes up the difference: "
              + how,
              new JsonObject().put("read", read).put("acknowledgedSum", applied).put("unknownDeltas",
                  new JsonArray(new ArrayList<>(unknown))).put("unknownOpIds", unknownIds).put("splitOpIds", splitIds)));
        }
      }
    });
    return out;
  }

  /**
   * Whether acknowledged increment {@code ack} may be a split brain's loss: its invoke-to-answer interval meets one
   * of {@code splits} widened by {@code mergeWindowMs}, and for a partition the answering node is on one of its sides.
   */
  static boolean duringSplit(Op ack, List<Fault> splits, long mergeWindowMs) {
    String node = ack.invoke().getString("node");
    for (Fault f : splits) {
      if (!f.overlaps(ack.invokedAt(), ack.settledAt(), mergeWindowMs)) {
        continue;
      }
      if (f.kind().equals("pause") || f.sides().isEmpty() || f.sides().stream().anyMatch(s -> s.contains(node))) {
        return true;
      }
    }
    return false;
  }

  /** Whether {@code target} is the sum of some subset of {@code deltas}. */
  static boolean reachable(long target, List<Long> deltas) {
    Set<Long> sums = new HashSet<>();
    sums.add(0L);
    for (long d : deltas) {
      Set<Long> next = new HashSet<>(sums);
      for (long s : sums) {
        next.add(s + d);
      }
      sums = next;
      if (sums.size() > MAX_SUMS) {
        long low = deltas.stream().filter(x -> x < 0).mapToLong(Long::longValue).sum();
        long high = deltas.stream().filter(x -> x > 0).mapToLong(Long::longValue).sum();
        return target >= low && target <= high;
      }
    }
    return sums.contains(target);
  }
}
