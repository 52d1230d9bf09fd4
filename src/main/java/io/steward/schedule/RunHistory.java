package io.steward.schedule;

import com.hazelcast.nio.ObjectDataInput;
import com.hazelcast.nio.ObjectDataOutput;
import com.hazelcast.nio.serialization.DataSerializable;
import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;

import java.io.IOException;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;

/**
 * The last runs of one job ({@code steward.schedule.history}), oldest first, at most {@code schedule.historySize},
 * and counts since the job was created. Public only for Hazelcast's serialization.
 */
public final class RunHistory implements DataSerializable {

  private static final Comparator<RunRecord> ORDER = Comparator.comparingLong(RunRecord::scheduledAt)
    .thenComparingLong(RunRecord::startedAt);

  private List<RunRecord> runs = new ArrayList<>();
  private long succeeded;
  private long failed;
  private long missed;
  private long skipped;

  public RunHistory() {
  }

  /** Adds runs (in any order), keeps the newest {@code capacity} by scheduled time. */
  void add(List<RunRecord> records, int capacity) {
    for (RunRecord r : records) {
      switch (r.outcome()) {
        case SUCCEEDED -> succeeded++;
        case FAILED -> failed++;
        case MISSED -> missed++;
        case SKIPPED -> skipped++;
        default -> throw new IllegalStateException(r.outcome().name());
      }
      runs.add(r);
    }
    runs.sort(ORDER);
    if (runs.size() > capacity) {
      runs = new ArrayList<>(runs.subList(runs.size() - capacity, runs.size()));
    }
  }

  List<RunRecord> runs() {
    return runs;
  }

  RunRecord last() {
    return runs.isEmpty() ? null : runs.get(runs.size() - 1);
  }

  JsonObject counts() {
    return new JsonObject().put("succeeded", succeeded).put("failed", failed).put("missed", missed).put("skipped", skipped);
  }

  /** Newest first, at most {@code limit}. */
  JsonArray toJson(int limit) {
    JsonArray out = new JsonArray();
    for (int i = runs.size() - 1; i >= 0 && out.size() < limit; i--) {
      out.add(runs.get(i).toJson());
    }
    return out;
  }

  @Override
  public void writeData(ObjectDataOutput out) throws IOException {
    out.writeInt(runs.size());
    for (RunRecord r : runs) {
      r.write(out);
    }
    out.writeLong(succeeded);
    out.writeLong(failed);
    out.writeLong(missed);
    out.writeLong(skipped);
  }

  @Override
  public void readData(ObjectDataInput in) throws IOException {
    int n = in.readInt();
    runs = new ArrayList<>(n);
    for (int i = 0; i < n; i++) {
      runs.add(RunRecord.read(in));
    }
    succeeded = in.readLong();
    failed = in.readLong();
    missed = in.readLong();
    skipped = in.readLong();
  }
}
