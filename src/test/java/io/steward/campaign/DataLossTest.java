package io.steward.campaign;

import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import org.junit.jupiter.api.Test;

import java.time.Instant;
import java.util.List;

import static org.assertj.core.api.Assertions.assertThat;

/** Seed 1034's data loss: what the nodes' "Partitions lost" WARN excuses, and what it does not. */
class DataLossTest {

  /** A history whose node logged the partitions-lost WARN stamped {@code lineAtMs} after the settings' wall time. */
  private static History lostAt(long lineAtMs) {
    return lostAt(new HistoryBuilder().settings(null, 2, 10_000), lineAtMs);
  }

  private static History lostAt(HistoryBuilder h, long lineAtMs) {
    History plain = h.build();
    long wall0 = plain.ofType("settings").get(0).getLong("wall");
    String stamp = Instant.ofEpochMilli(wall0 + lineAtMs).toString();
    return h.at(60_000, "log.loss", "node", "node1", "line", stamp
        + " WARN  [vert.x-eventloop-thread-0] i.s.node.PartitionsLost - Partitions lost: 135 partition(s) of 271 lost their owner").build();
  }

  private static Anomaly keys(long secondSubmitT) {
    return new Anomaly("unique-keys", "key tk1 moved to a second task within uniqueForMs", new JsonObject()
      .put("first", new JsonObject().put("t", 1_000))
      .put("second", new JsonObject().put("events", new JsonArray().add(new JsonObject().put("t", secondSubmitT)))));
  }

  @Test
  void anomalies_of_data_checkers_after_the_loss_are_excused() {
    History h = lostAt(16_000);
    Anomaly after = keys(15_500); // within the second before the line: the burst
    DataLoss.Judged judged = DataLoss.judge(h, List.of(after));
    assertThat(judged.anomalies()).isEmpty();
    assertThat(judged.excused()).containsExactly(after);
    assertThat(judged.note()).contains("1 excused after the cluster reported data lost");
  }

  /** Seeds 2013-2018: every split logged the line too (the other side's partitions), and a split loses nothing. */
  @Test
  void a_line_logged_during_a_partition_or_a_pause_or_before_the_merge_is_no_loss() {
    Anomaly after = keys(20_000);
    History partition = lostAt(new HistoryBuilder().settings(null, 3, 10_000)
        .fault("p", "partition", 10_000, 14_000, new io.vertx.core.json.JsonObject(), "node1", "node2", "node3"), 16_000);
    assertThat(DataLoss.judge(partition, List.of(after)).anomalies()).as("within the merge window").containsExactly(after);
    History pause = lostAt(new HistoryBuilder().settings(null, 3, 10_000)
        .fault("z", "pause", 10_000, 17_000, new io.vertx.core.json.JsonObject(), "node2"), 16_000);
    assertThat(DataLoss.judge(pause, List.of(after)).anomalies()).containsExactly(after);
  }

  @Test
  void anomalies_before_the_loss_other_checkers_and_other_error_lines_still_count() {
    History h = lostAt(16_000);
    Anomaly before = keys(9_000);
    Anomaly codes = new Anomaly("documented-codes", "a 500", new JsonObject().put("t", 30_000));
    Anomaly line = new Anomaly("no-error-lines", "node node2 logged an ERROR: something else", new JsonObject().put("t", 30_000));
    assertThat(DataLoss.judge(h, List.of(before, codes, line)).anomalies()).containsExactly(before, codes, line);
  }

  @Test
  void without_the_line_nothing_is_excused() {
    History h = new HistoryBuilder().settings(null, 2, 10_000).build();
    Anomaly a = keys(50_000);
    assertThat(DataLoss.judge(h, List.of(a)).anomalies()).containsExactly(a);
    assertThat(DataLoss.judge(h, List.of(a)).note()).isEmpty();
  }
}
