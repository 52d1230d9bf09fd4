package io.steward.campaign;

import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;

import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;

/**
 * A compute run once per miss per cluster (README, Cache, "getOrCompute: once per cluster": "however many callers
 * on however many nodes ask for the same key at the same time, the computation runs once"; "once holds while
 * membership is stable"; a failed or timed-out computation is not stored, "the next caller computes again";
 * "During a split brain each side computes once").
 *
 * <p><b>Miss epoch.</b> The {@code cache.compute.run} events of one {@code (cache, key)}, in order, are split into
 * miss epochs by these boundaries, each of which may legitimately make the key missing again or the claim move:
 * <ul>
 *   <li>a {@code cache.delete} of the key that may have applied between the two runs (not refused, invoked before
 *   the later run and answered after the earlier one, or never answered);</li>
 *   <li>a {@code cache.compute} of the key answered with a failure ({@code fail} or {@code info}) between the two
 *   runs, or invoked before the later run and never answered: the earlier computation may have failed or timed
 *   out, and nothing was stored;</li>
 *   <li>a change of membership: a {@code kill}, {@code restart}, {@code pause}, {@code partition} or {@code clock}
 *   (the node is stopped and started again under another clock) fault whose
 *   window, widened by {@code settings.mergeWindowMs} after its end, meets the time between the two runs.</li>
 * </ul>
 * Anomaly: two runs in one miss epoch (two consecutive runs with no boundary between them). Entries must not
 * expire or be evicted in the campaign's compute caches (the runner sets no TTL on them); a {@code put} of the key
 * is no boundary (it stores a value, it makes no miss).
 */
final class ComputeOnce implements Checker {

  private static final Set<String> MEMBERSHIP = Set.of("kill", "restart", "pause", "partition", "clock");

  @Override
  public String name() {
    return "compute-once";
  }

  @Override
  public List<Anomaly> check(History history) {
    Settings settings = Settings.of(history);
    List<Fault> faults = Fault.all(history).stream().filter(f -> MEMBERSHIP.contains(f.kind())).toList();
    Map<String, List<JsonObject>> runs = new LinkedHashMap<>();
    for (JsonObject r : history.ofType("cache.compute.run")) {
      runs.computeIfAbsent(r.getString("cache") + "/" + r.getString("key"), x -> new ArrayList<>()).add(r);
    }
    Map<String, List<Op>> deletes = new LinkedHashMap<>();
    Map<String, List<Op>> computes = new LinkedHashMap<>();
    for (Op op : Op.all(history)) {
      String k = op.invoke().getString("cache") + "/" + op.invoke().getString("key");
      if (op.kind().equals("cache.delete")) {
        deletes.computeIfAbsent(k, x -> new ArrayList<>()).add(op);
      } else if (op.kind().equals("cache.compute")) {
        computes.computeIfAbsent(k, x -> new ArrayList<>()).add(op);
      }
    }
    List<Anomaly> out = new ArrayList<>();
    runs.forEach((k, list) -> {
      for (int i = 0; i + 1 < list.size(); i++) {
        JsonObject first = list.get(i);
        JsonObject second = list.get(i + 1);
        long from = first.getLong("t");
        long to = second.getLong("t");
        boolean deleted = deletes.getOrDefault(k, List.of()).stream()
            .anyMatch(d -> d.mayHaveApplied() && d.invokedAt() < to && d.settledAt() > from);
        boolean failed = computes.getOrDefault(k, List.of()).stream()
            .anyMatch(c -> c.status() != Op.Status.OK && c.invokedAt() < to && (c.completion() == null
                || (c.completion().getLong("t") >= from && c.completion().getLong("t") <= to)));
        boolean membership = faults.stream().anyMatch(f -> f.overlaps(from, to, settings.mergeWindowMs()));
        if (!deleted && !failed && !membership) {
          out.add(new Anomaly(name(), "the compute of " + k + " ran twice in one miss (runs " + first.getValue("run")
              + " on " + first.getString("node") + " and " + second.getValue("run") + " on " + second.getString("node")
              + ", " + (to - from) + " ms apart, no delete, failed compute or membership change between them)",
              new JsonObject().put("runs", new JsonArray().add(first).add(second))));
        }
      }
    });
    return out;
  }
}
