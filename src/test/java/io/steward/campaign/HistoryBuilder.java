package io.steward.campaign;

import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;

import java.util.ArrayList;
import java.util.List;

/**
 * Hand-made histories for the checkers' tests: every event is stamped with {@code t} (ms since the start) and
 * {@code wall} ({@link #WALL0} + t), as the observer records them.
 */
final class HistoryBuilder {

  static final long WALL0 = 1_800_000_000_000L;

  private final List<JsonObject> events = new ArrayList<>();
  private long nextOp = 1;

  HistoryBuilder() {
  }

  HistoryBuilder settings(Integer minimumSize, int nodes, long missedBoundMs) {
    return settings(minimumSize, nodes, missedBoundMs, 100_000);
  }

  HistoryBuilder settings(Integer minimumSize, int nodes, long missedBoundMs, int historySize) {
    JsonObject s = new JsonObject().put("nodes", nodes).put("seed", 1).put("missedBoundMs", missedBoundMs)
        .put("mergeWindowMs", 5_000).put("historySize", historySize);
    if (minimumSize != null) {
      s.put("minimumSize", minimumSize);
    }
    return at(0, "settings", s);
  }

  /** Adds an event of {@code type} at time {@code t} with the given fields. */
  HistoryBuilder at(long t, String type, JsonObject fields) {
    events.add(fields.copy().put("type", type).put("t", t).put("wall", WALL0 + t));
    return this;
  }

  HistoryBuilder at(long t, String type, Object... kv) {
    return at(t, type, fields(kv));
  }

  /** An operation: its invoke at {@code t} and its completion ({@code ok}, {@code fail}, {@code info}, or null for none) at {@code done}. */
  HistoryBuilder op(String kind, long t, JsonObject invoke, String outcome, long done, JsonObject answer) {
    long op = nextOp++;
    at(t, kind + ".invoke", invoke.copy().put("op", op));
    if (outcome != null) {
      at(done, kind + "." + outcome, answer.copy().put("op", op));
    }
    return this;
  }

  HistoryBuilder fault(String id, String kind, long start, long end, JsonObject detail, String... nodes) {
    JsonObject f = new JsonObject().put("fault", id).put("kind", kind).put("nodes", new JsonArray(List.of(nodes)))
        .put("detail", detail);
    at(start, "fault.start", f);
    return at(end, "fault.end", f);
  }

  HistoryBuilder fire(long t, String job, long tick, String node, String connection) {
    return at(t, "fire", "job", job, "tick", tick, "node", node, "connection", connection);
  }

  HistoryBuilder putJob(long t, long done, String job, String mode, long everyMs) {
    return op("job.put", t, fields("node", "n1", "job", job, "mode", mode, "everyMs", everyMs, "overlap", "skip",
        "misfire", "skip"), "ok", done, new JsonObject());
  }

  History build() {
    List<JsonObject> sorted = new ArrayList<>(events);
    sorted.sort((a, b) -> Long.compare(a.getLong("t"), b.getLong("t")));
    return new History(sorted);
  }

  static JsonObject fields(Object... kv) {
    JsonObject o = new JsonObject();
    for (int i = 0; i < kv.length; i += 2) {
      o.put((String) kv[i], kv[i + 1]);
    }
    return o;
  }

  static JsonObject sides(List<String> a, List<String> b) {
    return new JsonObject().put("sides", new JsonArray().add(new JsonArray(a)).add(new JsonArray(b)));
  }
}
