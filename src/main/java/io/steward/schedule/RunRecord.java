package io.steward.schedule;

import com.hazelcast.nio.ObjectDataInput;
import com.hazelcast.nio.ObjectDataOutput;
import io.vertx.core.json.JsonObject;

import java.io.IOException;
import java.time.Instant;

/**
 * One entry of a job's history: the tick (scheduled time), when the run actually started, on which node, how
 * it ended and how long it took. A missed tick has no start; a skipped tick was consumed while the previous run
 * was still going.
 */
record RunRecord(long scheduledAt, long startedAt, long durationMs, String node, Outcome outcome, String detail,
                 boolean trigger) {

  enum Outcome {
    SUCCEEDED("succeeded"), FAILED("failed"), MISSED("missed"), SKIPPED("skipped");

    final String text;

    Outcome(String text) {
      this.text = text;
    }
  }

  static final int MAX_DETAIL = 300;
  private static final Outcome[] OUTCOMES = Outcome.values();

  static RunRecord missed(long tick, String node, String reason) {
    return new RunRecord(tick, -1, -1, node, Outcome.MISSED, reason, false);
  }

  static RunRecord skipped(long tick, String node, String reason) {
    return new RunRecord(tick, -1, -1, node, Outcome.SKIPPED, reason, false);
  }

  static String clip(String s) {
    return s == null || s.length() <= MAX_DETAIL ? s : s.substring(0, MAX_DETAIL) + "…";
  }

  JsonObject toJson() {
    JsonObject o = new JsonObject().put("scheduledAt", Instant.ofEpochMilli(scheduledAt).toString());
    if (startedAt >= 0) {
      o.put("startedAt", Instant.ofEpochMilli(startedAt).toString()).put("latenessMs", startedAt - scheduledAt);
    }
    if (durationMs >= 0) {
      o.put("durationMs", durationMs);
    }
    o.put("node", node).put("outcome", outcome.text).put("missed", outcome == Outcome.MISSED);
    if (detail != null) {
      o.put(outcome == Outcome.FAILED ? "error" : "detail", detail);
    }
    if (trigger) {
      o.put("trigger", true);
    }
    return o;
  }

  void write(ObjectDataOutput out) throws IOException {
    out.writeLong(scheduledAt);
    out.writeLong(startedAt);
    out.writeLong(durationMs);
    out.writeString(node);
    out.writeByte(outcome.ordinal());
    out.writeString(detail);
    out.writeBoolean(trigger);
  }

  /** Writes the capacity, then the records. */
  static void writeAll(ObjectDataOutput out, java.util.List<RunRecord> records, int capacity) throws IOException {
    out.writeInt(capacity);
    out.writeInt(records.size());
    for (RunRecord r : records) {
      r.write(out);
    }
  }

  /** Reads the records written by {@link #writeAll} (after the capacity was read). */
  static java.util.List<RunRecord> readAll(ObjectDataInput in) throws IOException {
    int n = in.readInt();
    java.util.List<RunRecord> out = new java.util.ArrayList<>(n);
    for (int i = 0; i < n; i++) {
      out.add(read(in));
    }
    return out;
  }

  static RunRecord read(ObjectDataInput in) throws IOException {
    return new RunRecord(in.readLong(), in.readLong(), in.readLong(), in.readString(),
      OUTCOMES[in.readByte()], in.readString(), in.readBoolean());
  }
}
