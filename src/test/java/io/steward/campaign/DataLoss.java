package io.steward.campaign;

import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;

import java.time.Instant;
import java.time.format.DateTimeParseException;
import java.util.ArrayList;
import java.util.List;
import java.util.Set;

/**
 * The one case where the cluster itself says it may have lost data: more members lost at once than backups, or a
 * second one lost before the cluster was safe again (README, Guarantees: "more members lost at once than backups").
 * A node then logs {@code PartitionsLost}'s WARN {@code Partitions lost: N partition(s) …}, once per burst, about a
 * second after Hazelcast reported the partitions (seed 1034: two nodes, the second killed as the first came back),
 * recorded as {@code log.loss}. A node logs the same when the members holding the partitions are only cut off (a
 * partition, a pause past failure detection: seeds 2013-2018 logged it at every split), and there the data lives on
 * the other side: so a line counts as a loss only when it comes while no {@code partition} and no {@code pause} fault
 * is under way (from its start to {@code settings.mergeWindowMs} after its end); a split's consequences are the other
 * checkers' to judge, with their own documented exceptions. From a loss on, what the lost partitions held is gone, so a
 * promise about it cannot hold: the anomalies of the data checkers whose latest event came after the loss are excused.
 * Anything before the loss still counts; a seed with an excused anomaly says so in its line.
 */
final class DataLoss {

  /** The WARN's logger and the start of its message, as the nodes' log pattern prints them. */
  static final String LINE = "PartitionsLost - Partitions lost: ";
  /** How long before its ERROR a loss may have happened: the node's burst of one second, and a margin. */
  static final long BEFORE_LINE_MS = 2_000;
  /** The checkers whose promises are about the data the lost partitions held. */
  static final Set<String> DATA_CHECKERS = Set.of("no-tick-fired-twice", "never-on-both-sides", "missed-ticks",
      "deleted-jobs", "durable-tasks", "unique-keys", "cache-puts", "cache-increments", "compute-once");

  /** What the checkers found, split by the loss: what still counts, and what the loss excuses. */
  record Judged(List<Anomaly> anomalies, List<Anomaly> excused) {
    String note() {
      return excused.isEmpty() ? "" : " (" + excused.size() + " excused after the cluster reported data lost)";
    }
  }

  private DataLoss() {
  }

  static Judged judge(History history, List<Anomaly> found) {
    long loss = firstLoss(history);
    if (loss == Long.MAX_VALUE) {
      return new Judged(found, List.of());
    }
    List<Anomaly> counted = new ArrayList<>();
    List<Anomaly> excused = new ArrayList<>();
    for (Anomaly a : found) {
      boolean afterLoss = DATA_CHECKERS.contains(a.checker()) && latest(a.evidence()) >= loss;
      (afterLoss ? excused : counted).add(a);
    }
    return new Judged(counted, excused);
  }

  /**
   * When the cluster may first have lost data, on the observer's clock ({@code t}): the earliest data-loss ERROR's own
   * time (a node's wall clock) less {@link #BEFORE_LINE_MS}; {@code Long.MAX_VALUE} without one.
   */
  static long firstLoss(History history) {
    JsonObject settings = history.ofType("settings").stream().findFirst().orElse(null);
    if (settings == null) {
      return Long.MAX_VALUE;
    }
    long wallToT = settings.getLong("t", 0L) - settings.getLong("wall", 0L);
    long mergeWindow = Settings.of(history).mergeWindowMs();
    List<Fault> splits = Fault.all(history).stream()
        .filter(f -> f.kind().equals("partition") || f.kind().equals("pause")).toList();
    long first = Long.MAX_VALUE;
    for (JsonObject e : history.ofType("log.loss")) {
      String line = e.getString("line", "");
      if (!line.contains(LINE)) {
        continue;
      }
      try {
        long wall = Instant.parse(line.substring(0, line.indexOf(' '))).toEpochMilli();
        long at = wall + wallToT - BEFORE_LINE_MS;
        long lineT = wall + wallToT;
        if (splits.stream().noneMatch(f -> f.contains(lineT, lineT, mergeWindow))) {
          first = Math.min(first, at);
        }
      } catch (DateTimeParseException | StringIndexOutOfBoundsException ignored) {
        // not a line with its time first: it cannot place the loss
      }
    }
    return first;
  }

  /** The latest observer time ({@code t}) anywhere in an anomaly's evidence; {@code Long.MIN_VALUE} without one. */
  static long latest(Object evidence) {
    long max = Long.MIN_VALUE;
    if (evidence instanceof JsonObject o) {
      if (o.getValue("t") instanceof Number n) {
        max = n.longValue();
      }
      for (String k : o.fieldNames()) {
        max = Math.max(max, latest(o.getValue(k)));
      }
    } else if (evidence instanceof JsonArray arr) {
      for (Object v : arr) {
        max = Math.max(max, latest(v));
      }
    }
    return max;
  }
}
