package io.steward.campaign;

import io.vertx.core.json.JsonObject;
import org.junit.jupiter.api.Test;

import static io.steward.campaign.HistoryBuilder.fields;
import static org.assertj.core.api.Assertions.assertThat;

class UniqueKeysTest {

  private final Checker checker = new UniqueKeys();

  private static HistoryBuilder base() {
    return new HistoryBuilder().settings(null, 3, 10_000)
        .at(1, "node.up", "node", "n1", "pid", 11, "id", "id-1")
        .at(1, "node.up", "node", "n2", "pid", 12, "id", "id-2");
  }

  /** A keyed submit answered at {@code ok}, whose task runs on {@code node} from {@code start} to {@code end} (no end if negative). */
  private static HistoryBuilder task(HistoryBuilder h, String marker, String id, boolean durable, Long uniqueForMs,
                                     long invoke, long ok, String node, long start, long end) {
    JsonObject submit = fields("node", "n1", "durable", durable, "marker", marker, "key", "k");
    if (uniqueForMs != null) {
      submit.put("uniqueForMs", uniqueForMs);
    }
    h.op("task.submit", invoke, submit, "ok", ok, fields("taskId", id, "existing", false));
    h.at(start, "task.start", fields("marker", marker, "taskId", id, "key", "k", "node", node, "attempt", 1));
    if (end >= 0) {
      h.at(end, "task.end", fields("marker", marker, "taskId", id, "key", "k", "node", node, "attempt", 1));
    }
    return h;
  }

  @Test
  void a_task_that_ended_frees_its_key() {
    HistoryBuilder h = task(base(), "m1", "t1", true, null, 100, 110, "id-1", 120, 2_000);
    task(h, "m2", "t2", true, null, 2_100, 2_110, "id-2", 2_120, 4_000);
    assertThat(checker.check(h.build())).isEmpty();
  }

  @Test
  void two_tasks_of_one_key_running_at_once_are_reported() {
    HistoryBuilder h = task(base(), "m1", "t1", true, null, 100, 110, "id-1", 120, 5_000);
    task(h, "m2", "t2", true, null, 1_000, 1_010, "id-2", 1_020, 3_000);
    assertThat(checker.check(h.build())).singleElement().satisfies(a -> {
      assertThat(a.what()).contains("tasks t1 and t2 of key k ran at the same time");
      assertThat(a.evidence().getJsonObject("first").getString("taskId")).isEqualTo("t1");
      assertThat(a.evidence().getJsonObject("second").getJsonArray("events")).hasSize(2);
    });
  }

  @Test
  void a_key_bound_to_a_queued_task_while_another_runs_is_reported() {
    HistoryBuilder h = task(base(), "m1", "t1", true, null, 100, 110, "id-1", 120, 5_000);
    task(h, "m2", "t2", true, null, 1_000, 1_010, "id-2", 5_100, 6_000);
    assertThat(checker.check(h.build())).singleElement()
        .satisfies(a -> assertThat(a.what()).contains("bound to task t2 while task t1 was live"));
  }

  @Test
  void a_key_moved_within_uniqueForMs_is_reported() {
    HistoryBuilder h = task(base(), "m1", "t1", true, 10_000L, 100, 110, "id-1", 120, 2_000);
    task(h, "m2", "t2", true, 10_000L, 5_000, 5_010, "id-2", 5_020, 6_000);
    assertThat(checker.check(h.build())).singleElement()
        .satisfies(a -> assertThat(a.what()).contains("moved to task t2", "within uniqueForMs 10000"));
  }

  @Test
  void a_key_moves_after_uniqueForMs_or_to_a_submit_without_it() {
    HistoryBuilder after = task(base(), "m1", "t1", true, 2_000L, 100, 110, "id-1", 120, 2_000);
    task(after, "m2", "t2", true, 10_000L, 5_000, 5_010, "id-2", 5_020, 6_000);
    HistoryBuilder without = task(base(), "m1", "t1", true, 10_000L, 100, 110, "id-1", 120, 2_000);
    task(without, "m2", "t2", true, null, 5_000, 5_010, "id-2", 5_020, 6_000);
    assertThat(checker.check(after.build())).isEmpty();
    assertThat(checker.check(without.build())).isEmpty();
  }

  @Test
  void an_attempt_with_no_end_ends_when_a_survivor_starts_the_next_one() {
    HistoryBuilder h = task(base(), "m1", "t1", true, null, 100, 110, "id-1", 120, -1);
    h.at(1_000, "task.start", fields("marker", "m1", "taskId", "t1", "key", "k", "node", "id-2", "attempt", 2))
        .at(1_200, "task.end", fields("marker", "m1", "taskId", "t1", "key", "k", "node", "id-2", "attempt", 2));
    task(h, "m2", "t2", true, null, 1_500, 1_510, "id-2", 1_520, 2_000);
    assertThat(checker.check(h.build())).isEmpty();
  }

  @Test
  void an_attempt_with_no_end_and_no_death_still_holds_its_key() {
    HistoryBuilder h = task(base(), "m1", "t1", true, null, 100, 110, "id-1", 120, -1);
    task(h, "m2", "t2", true, null, 1_500, 1_510, "id-2", 1_520, 2_000);
    assertThat(checker.check(h.build())).hasSize(1);
  }

  @Test
  void a_temporary_task_on_a_paused_node_loses_its_key_by_design() {
    HistoryBuilder h = base().fault("f1", "pause", 1_000, 8_000, new JsonObject(), "n1");
    task(h, "m1", "t1", false, null, 100, 110, "id-1", 120, 8_100);
    task(h, "m2", "t2", false, null, 6_000, 6_010, "id-2", 6_020, 7_000);
    assertThat(checker.check(h.build())).isEmpty();
  }

  @Test
  void a_temporary_task_accepted_after_a_partition_ended_but_before_the_merge_loses_its_key_by_design() {
    // Seed 108: a node restarted during a partition formed a cluster of its own; the partition ended at 1 000, the
    // sides merged later (mergeWindowMs 5 000 here). A temporary task accepted there at 1 110 held the key with
    // uniqueForMs 7 000; the other side bound it again at 3 510, inside the window but before the merge.
    HistoryBuilder h = base().fault("f1", "partition", 100, 1_000, new JsonObject(), "n1", "n2");
    task(h, "m1", "t1", false, 7_000L, 1_100, 1_110, "id-1", 1_120, 1_300);
    task(h, "m2", "t2", true, 4_000L, 3_500, 3_510, "id-2", 3_520, 3_600);
    assertThat(checker.check(h.build())).isEmpty();
  }

  @Test
  void a_key_moved_within_uniqueForMs_after_the_merge_window_is_still_reported() {
    // The same, but the partition ended more than mergeWindowMs (5 000) before the first task was accepted: one
    // cluster again, so the key must hold.
    HistoryBuilder h = base().fault("f1", "partition", 100, 1_000, new JsonObject(), "n1", "n2");
    task(h, "m1", "t1", false, 7_000L, 6_100, 6_110, "id-1", 6_120, 6_300);
    task(h, "m2", "t2", true, 4_000L, 8_500, 8_510, "id-2", 8_520, 8_600);
    assertThat(checker.check(h.build())).singleElement()
        .satisfies(a -> assertThat(a.what()).contains("moved to task t2", "within uniqueForMs 4000"));
  }

  @Test
  void a_durable_task_keeps_its_key_in_the_merge_window_too() {
    HistoryBuilder h = base().fault("f1", "partition", 100, 1_000, new JsonObject(), "n1", "n2");
    task(h, "m1", "t1", true, 7_000L, 1_100, 1_110, "id-1", 1_120, 1_300);
    task(h, "m2", "t2", true, 4_000L, 3_500, 3_510, "id-2", 3_520, 3_600);
    assertThat(checker.check(h.build())).singleElement()
        .satisfies(a -> assertThat(a.what()).contains("within uniqueForMs 4000"));
  }

  @Test
  void a_durable_task_on_a_paused_node_keeps_its_key() {
    HistoryBuilder h = base().fault("f1", "pause", 1_000, 8_000, new JsonObject(), "n1");
    task(h, "m1", "t1", true, null, 100, 110, "id-1", 120, 8_100);
    task(h, "m2", "t2", true, null, 6_000, 6_010, "id-2", 6_020, 7_000);
    assertThat(checker.check(h.build())).hasSize(1);
  }

  @Test
  void a_restart_of_the_same_task_is_not_a_second_binding() {
    HistoryBuilder h = task(base(), "m1", "t1", true, null, 100, 110, "id-1", 120, 1_000);
    h.at(1_500, "task.start", fields("marker", "m1", "taskId", "t1", "key", "k", "node", "id-2", "attempt", 2))
        .at(2_500, "task.end", fields("marker", "m1", "taskId", "t1", "key", "k", "node", "id-2", "attempt", 2));
    task(h, "m2", "t2", true, null, 1_200, 1_210, "id-2", 3_000, 4_000);
    // t2 was bound at 1200, while t1 was restarting (live until its last end at 2500)
    assertThat(checker.check(h.build())).singleElement()
        .satisfies(a -> assertThat(a.what()).contains("while task t1 was live"));
  }

  @Test
  void the_uniqueForMs_window_is_judged_against_the_task_that_held_the_key_last() {
    HistoryBuilder h = task(base(), "m1", "t1", true, 10_000L, 100, 110, "id-1", 120, 1_000);
    task(h, "m2", "t2", true, null, 1_500, 1_510, "id-2", 1_520, 1_600);
    task(h, "m3", "t3", true, 10_000L, 2_000, 2_010, "id-1", 2_020, 2_100);
    // t2 (no uniqueForMs) moved t1's key by design; t3 follows t2, which held nothing after its end: t3 is not
    // judged against t1's window
    assertThat(checker.check(h.build())).isEmpty();
  }
}
