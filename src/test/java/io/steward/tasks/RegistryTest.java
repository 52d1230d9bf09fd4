package io.steward.tasks;

import org.junit.jupiter.api.Test;

import static org.assertj.core.api.Assertions.assertThat;

/** Retention is bounded by count and by age, and live tasks are never dropped. */
class RegistryTest {

  private static TaskRecord task(String id, String key) {
    TaskSpec spec = new TaskSpec("echo", null, "default", Restart.TEMPORARY, 0, 1, null, key);
    return new TaskRecord(id, spec, 0, 0, null, null, null, "node");
  }

  private static void end(TaskRecord r, long at) {
    synchronized (r) {
      r.state = TaskState.SUCCEEDED;
      r.endedAt = at;
    }
  }

  @Test
  void keeps_at_most_max_finished_dropping_the_oldest() {
    Registry reg = new Registry(3, r -> { });
    for (int i = 0; i < 5; i++) {
      TaskRecord r = task("t" + i, null);
      reg.addLive(r);
      end(r, i);
      reg.finished(r);
    }
    assertThat(reg.size()).isEqualTo(3);
    assertThat(reg.get("t0")).isNull();
    assertThat(reg.get("t1")).isNull();
    assertThat(reg.get("t4")).isNotNull();
    assertThat(reg.liveCount()).isZero();
  }

  @Test
  void expires_finished_tasks_by_age_and_leaves_live_ones() {
    Registry reg = new Registry(10, r -> { });
    TaskRecord old = task("old", null);
    TaskRecord recent = task("recent", null);
    TaskRecord running = task("running", "k");
    for (TaskRecord r : new TaskRecord[] {old, recent, running}) {
      reg.addLive(r);
    }
    end(old, 100);
    reg.finished(old);
    end(recent, 1_000);
    reg.finished(recent);
    reg.expire(500);
    assertThat(reg.get("old")).isNull();
    assertThat(reg.get("recent")).isNotNull();
    assertThat(reg.get("running")).isNotNull();
    assertThat(reg.byKey("k")).isSameAs(running);
  }

  @Test
  void zero_retention_keeps_nothing_finished() {
    Registry reg = new Registry(0, r -> { });
    TaskRecord r = task("a", "k");
    reg.addLive(r);
    assertThat(reg.takeChanged()).isTrue();
    assertThat(reg.takeChanged()).isFalse();
    reg.finished(r);
    assertThat(reg.get("a")).isNull();
    assertThat(reg.byKey("k")).isNull();
    assertThat(reg.takeChanged()).isTrue();
  }
}
