package io.steward.tasks;

import org.junit.jupiter.api.Test;

import java.util.List;

import static org.assertj.core.api.Assertions.assertThat;

class LiveRecordTest {

  @Test
  void records_pending_and_running_temporary_tasks_compactly_and_reads_them_back() {
    TaskIds ids = new TaskIds("3f2a9c81-b0d4-4e3a-9f00-123456789abc");
    TaskRecord pending = task(ids, "echo", "default", Restart.TEMPORARY);
    TaskRecord running = task(ids, "sleep", "slow", Restart.TEMPORARY);
    running.begin(running.nextAttempt(null), "node-a", 8);
    TaskRecord durable = task(ids, "echo", "default", Restart.TRANSIENT);
    String text = LiveRecord.encode("node-a", ids.prefix(), 42, List.of(pending, running, durable));
    List<LiveRecord.Entry> entries = LiveRecord.decode(text);
    assertThat(entries).containsExactly(
      new LiveRecord.Entry(pending.id(), "echo", "default", 7, "pending", 0),
      new LiveRecord.Entry(running.id(), "sleep", "slow", 7, "running", 1));
    assertThat(text.substring(text.indexOf('\n'))).as("task lines without the id prefix").doesNotContain(ids.prefix());
  }

  @Test
  void an_id_names_the_node_that_accepted_it() {
    TaskIds ids = new TaskIds("3f2a9c81-b0d4-4e3a-9f00-123456789abc");
    String id = ids.next();
    assertThat(id).isEqualTo("3f2a9c81b0d4-1");
    assertThat(TaskIds.origin(id, List.of("00000000-0000-0000-0000-000000000000", "3f2a9c81-b0d4-4e3a-9f00-123456789abc")))
      .isEqualTo("3f2a9c81-b0d4-4e3a-9f00-123456789abc");
    assertThat(TaskIds.origin("nonsense", List.of("3f2a9c81-b0d4-4e3a-9f00-123456789abc"))).isNull();
    assertThat(ids.seqOf(id)).isEqualTo(1);
    assertThat(ids.seqOf("3f2a9c81b0d4-x1")).isEqualTo(-1);
    assertThat(ids.seqOf("000000000000-1")).isEqualTo(-1);
  }

  private static TaskRecord task(TaskIds ids, String type, String supervisor, Restart restart) {
    return new TaskRecord(ids.prefix(), ids.nextSeq(), new TaskSpec(type, null, supervisor, restart, 0, 1, null, null), 0, 7, null, null, null, "node-a");
  }
}
