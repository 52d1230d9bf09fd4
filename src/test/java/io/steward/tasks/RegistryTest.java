package io.steward.tasks;

import org.junit.jupiter.api.Test;

import java.util.ArrayList;
import java.util.List;

import static org.assertj.core.api.Assertions.assertThat;

/** Retention is bounded by count and by age, and live tasks are never dropped. */
class RegistryTest {

  private static final TaskIds IDS = new TaskIds("3f2a9c81-b0d4-4e3a-9f00-123456789abc");

  /** A temporary task this node accepted; its id is the prefix and {@code n}. */
  private static TaskRecord task(long n, String key) {
    TaskSpec spec = new TaskSpec("echo", null, "default", Restart.TEMPORARY, 0, 1, null, key);
    return new TaskRecord(IDS.prefix(), n, spec, 0, 0, null, null, null, "node");
  }

  private static String id(long n) {
    return IDS.prefix() + n;
  }

  private static void end(TaskRecord r, long at) {
    r.nextAttempt(null);
    r.begin(r.attempt(), "node", at);
    r.end(TaskState.SUCCEEDED, Outcome.SUCCEEDED, null, null, false, at);
  }

  @Test
  void keeps_at_most_max_finished_dropping_the_oldest() {
    Registry reg = new Registry(IDS, 3, 100, r -> { });
    for (int i = 0; i < 5; i++) {
      TaskRecord r = task(i, null);
      reg.addLive(r);
      end(r, i);
      reg.finished(r);
    }
    assertThat(reg.size()).isEqualTo(3);
    assertThat(reg.get(id(0))).isNull();
    assertThat(reg.get(id(1))).isNull();
    assertThat(reg.get(id(4))).isNotNull();
    assertThat(reg.liveCount()).isZero();
  }

  @Test
  void expires_finished_tasks_by_age_and_leaves_live_ones() {
    Registry reg = new Registry(IDS, 10, 100, r -> { });
    TaskRecord old = task(1, null);
    TaskRecord recent = task(2, null);
    TaskRecord running = task(3, "k");
    for (TaskRecord r : new TaskRecord[] {old, recent, running}) {
      reg.addLive(r);
    }
    end(old, 100);
    reg.finished(old);
    end(recent, 1_000);
    reg.finished(recent);
    reg.expire(500);
    assertThat(reg.get(id(1))).isNull();
    assertThat(reg.get(id(2))).isSameAs(recent);
    assertThat(reg.get(id(3))).isSameAs(running);
    assertThat(reg.byKey("k")).isSameAs(running);
  }

  @Test
  void zero_retention_keeps_nothing_finished() {
    Registry reg = new Registry(IDS, 0, 100, r -> { });
    TaskRecord r = task(1, "k");
    reg.addLive(r);
    assertThat(reg.takeChanged()).isTrue();
    assertThat(reg.takeChanged()).isFalse();
    reg.finished(r);
    assertThat(reg.get(id(1))).isNull();
    assertThat(reg.byKey("k")).isNull();
    assertThat(reg.takeChanged()).isTrue();
  }

  @Test
  void live_tasks_up_to_the_capacity_are_found_by_id_and_listed_once() {
    Registry reg = new Registry(IDS, 50, 1_000, r -> { });
    List<TaskRecord> tasks = new ArrayList<>();
    for (int i = 0; i < 1_000; i++) {
      TaskRecord r = i % 10 == 0 ? durable("elsewhere-" + i) : task(i, null);
      reg.addLive(r);
      tasks.add(r);
    }
    for (TaskRecord r : tasks) {
      assertThat(reg.get(r.id())).isSameAs(r);
    }
    assertThat(reg.liveTemporary()).hasSize(900);
    assertThat(reg.all()).hasSize(1_000).doesNotHaveDuplicates();

    // Finishing frees slots for new tasks; the finished stay findable while the ring keeps them.
    for (int i = 0; i < 500; i++) {
      TaskRecord r = tasks.get(i);
      end(r, i);
      reg.finished(r);
    }
    for (int i = 1_000; i < 1_500; i++) {
      reg.addLive(task(i, null));
    }
    assertThat(reg.get(id(499))).isSameAs(tasks.get(499));
    assertThat(reg.get(id(1))).as("dropped by the ring").isNull();
    assertThat(reg.get(id(1_499))).isNotNull();
    assertThat(reg.all()).hasSize(1_000 + 50).doesNotHaveDuplicates();
    assertThat(reg.get(id(99_999))).isNull();
    assertThat(reg.get("someone-else-1")).isNull();
  }

  @Test
  void a_lookup_by_id_looks_at_a_few_slots_however_many_tasks_the_node_keeps() {
    Registry reg = new Registry(IDS, 100_000, 1_000_000, r -> { });
    for (int i = 0; i < 200_000; i++) {
      TaskRecord r = task(i, null);
      reg.addLive(r);
      if (i < 190_000) {
        end(r, i);
        reg.finished(r);
      }
    }
    // Unknown ids of this node: dropped by the ring, never made, far beyond the counter.
    for (long unknown : new long[] {5, 50_000, 89_999, 200_000, 1_234_567, 987_654_321_000L}) {
      assertThat(reg.get(id(unknown))).isNull();
      assertThat(reg.looked).as("slots looked at for unknown task %d", unknown).isLessThanOrEqualTo(16);
    }
    // Known ones, finished and live, are found as cheaply.
    for (long known : new long[] {90_000, 150_000, 189_999, 190_000, 199_999}) {
      assertThat(reg.get(id(known))).isNotNull();
      assertThat(reg.looked).as("slots looked at for task %d", known).isLessThanOrEqualTo(16);
    }
  }

  private static TaskRecord durable(String id) {
    TaskSpec spec = new TaskSpec("echo", null, "default", Restart.TRANSIENT, 0, 1, null, null);
    return new TaskRecord(id, spec, 0, 0, null, null, null, "node");
  }
}
