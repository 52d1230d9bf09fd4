package io.steward.schedule;

import com.hazelcast.nio.ObjectDataInput;
import com.hazelcast.nio.ObjectDataOutput;
import com.hazelcast.nio.serialization.DataSerializable;
import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;

import java.io.IOException;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Comparator;
import java.util.List;

/**
 * The last runs of one job, at most {@code schedule.historySize}, and counts since the job was created. Held in
 * the job's state entry in object form and updated in place: a ring of primitive columns, so a job that fires
 * every second does not leave a record object behind per run for the garbage collector to copy around.
 * Public only for Hazelcast's serialization.
 */
final class RunHistory implements DataSerializable {

  private static final RunRecord.Outcome[] OUTCOMES = RunRecord.Outcome.values();
  private static final Comparator<RunRecord> ORDER = Comparator.comparingLong(RunRecord::scheduledAt)
    .thenComparingLong(RunRecord::startedAt);

  private long[] scheduledAt = new long[0];
  private long[] startedAt = new long[0];
  private long[] durationMs = new long[0];
  private String[] node = new String[0];
  private byte[] outcome = new byte[0];
  private String[] detail = new String[0];
  private boolean[] trigger = new boolean[0];
  /** Where the next run goes, and how many slots hold a run. */
  private int next;
  private int size;
  private long succeeded;
  private long failed;
  private long missed;
  private long skipped;

  public RunHistory() {
  }

  /** Adds runs (the oldest are dropped beyond {@code capacity}). */
  void add(List<RunRecord> records, int capacity) {
    if (scheduledAt.length != capacity) {
      resize(capacity);
    }
    for (RunRecord r : records) {
      switch (r.outcome()) {
        case SUCCEEDED -> succeeded++;
        case FAILED -> failed++;
        case MISSED -> missed++;
        case SKIPPED -> skipped++;
        default -> throw new IllegalStateException(r.outcome().name());
      }
      int i = next;
      scheduledAt[i] = r.scheduledAt();
      startedAt[i] = r.startedAt();
      durationMs[i] = r.durationMs();
      node[i] = r.node();
      outcome[i] = (byte) r.outcome().ordinal();
      detail[i] = r.detail();
      trigger[i] = r.trigger();
      next = (next + 1) % capacity;
      size = Math.min(size + 1, capacity);
    }
  }

  /** Keeps the newest runs when the capacity changes (schedule.historySize was changed). */
  private void resize(int capacity) {
    List<RunRecord> kept = runs();
    if (kept.size() > capacity) {
      kept = kept.subList(kept.size() - capacity, kept.size());
    }
    scheduledAt = new long[capacity];
    startedAt = new long[capacity];
    durationMs = new long[capacity];
    node = new String[capacity];
    outcome = new byte[capacity];
    detail = new String[capacity];
    trigger = new boolean[capacity];
    next = 0;
    size = 0;
    long s = succeeded;
    long f = failed;
    long m = missed;
    long k = skipped;
    add(kept, capacity);
    succeeded = s;
    failed = f;
    missed = m;
    skipped = k;
  }

  /** The runs, oldest first by scheduled time. */
  List<RunRecord> runs() {
    List<RunRecord> out = new ArrayList<>(size);
    for (int i = 0; i < size; i++) {
      out.add(new RunRecord(scheduledAt[i], startedAt[i], durationMs[i], node[i], OUTCOMES[outcome[i]], detail[i], trigger[i]));
    }
    out.sort(ORDER);
    return out;
  }

  RunRecord last() {
    List<RunRecord> all = runs();
    return all.isEmpty() ? null : all.get(all.size() - 1);
  }

  JsonObject counts() {
    return new JsonObject().put("succeeded", succeeded).put("failed", failed).put("missed", missed).put("skipped", skipped);
  }

  /** Newest first, at most {@code limit}. */
  JsonArray toJson(int limit) {
    List<RunRecord> all = runs();
    JsonArray out = new JsonArray();
    for (int i = all.size() - 1; i >= 0 && out.size() < limit; i--) {
      out.add(all.get(i).toJson());
    }
    return out;
  }

  @Override
  public void writeData(ObjectDataOutput out) throws IOException {
    List<RunRecord> all = runs();
    out.writeInt(scheduledAt.length);
    out.writeInt(all.size());
    for (RunRecord r : all) {
      r.write(out);
    }
    out.writeLong(succeeded);
    out.writeLong(failed);
    out.writeLong(missed);
    out.writeLong(skipped);
  }

  @Override
  public void readData(ObjectDataInput in) throws IOException {
    int capacity = in.readInt();
    int n = in.readInt();
    List<RunRecord> all = new ArrayList<>(n);
    for (int i = 0; i < n; i++) {
      all.add(RunRecord.read(in));
    }
    long s = in.readLong();
    long f = in.readLong();
    long m = in.readLong();
    long k = in.readLong();
    if (capacity > 0) {
      resize(capacity);
      add(all, capacity);
    }
    succeeded = s;
    failed = f;
    missed = m;
    skipped = k;
  }

  @Override
  public String toString() {
    return "RunHistory" + Arrays.toString(runs().toArray());
  }
}
