package io.steward.tasks;

import io.steward.tasks.RestartPolicy.Decision;
import org.junit.jupiter.api.Test;

import static org.assertj.core.api.Assertions.assertThat;

/** The supervision decision, as a pure function: no Vert.x, no clock. */
class RestartPolicyTest {

  private static final Backoff BACKOFF = new Backoff(100, 10_000);
  private static final long NOW = 1_000_000;

  private static Decision decide(Restart restart, Outcome outcome, RestartHistory history, int max) {
    return RestartPolicy.decide(restart, outcome, history, max, 5_000, NOW, BACKOFF, 0.5);
  }

  @Test
  void temporary_task_is_never_restarted() {
    for (Outcome o : Outcome.values()) {
      assertThat(decide(Restart.TEMPORARY, o, RestartHistory.EMPTY, 3).kind()).isEqualTo(Decision.Kind.FINISH);
    }
  }

  @Test
  void transient_task_is_restarted_after_an_abnormal_end_only() {
    assertThat(decide(Restart.TRANSIENT, Outcome.SUCCEEDED, RestartHistory.EMPTY, 3).kind()).isEqualTo(Decision.Kind.FINISH);
    assertThat(decide(Restart.TRANSIENT, Outcome.FAILED, RestartHistory.EMPTY, 3).kind()).isEqualTo(Decision.Kind.RESTART);
    assertThat(decide(Restart.TRANSIENT, Outcome.TIMED_OUT, RestartHistory.EMPTY, 3).kind()).isEqualTo(Decision.Kind.RESTART);
    assertThat(decide(Restart.TRANSIENT, Outcome.NODE_LOST, RestartHistory.EMPTY, 3).kind()).isEqualTo(Decision.Kind.RESTART);
  }

  @Test
  void permanent_task_is_restarted_even_after_a_normal_end() {
    assertThat(decide(Restart.PERMANENT, Outcome.SUCCEEDED, RestartHistory.EMPTY, 3).kind()).isEqualTo(Decision.Kind.RESTART);
    assertThat(decide(Restart.PERMANENT, Outcome.FAILED, RestartHistory.EMPTY, 3).kind()).isEqualTo(Decision.Kind.RESTART);
  }

  @Test
  void the_limit_counts_only_restarts_within_the_window() {
    RestartHistory threeRecent = RestartHistory.of(NOW - 3_000, NOW - 2_000, NOW - 1_000);
    Decision d = decide(Restart.TRANSIENT, Outcome.FAILED, threeRecent, 3);
    assertThat(d.kind()).isEqualTo(Decision.Kind.GIVE_UP);
    assertThat(d.restartsInWindow()).isEqualTo(3);

    RestartHistory oneOld = RestartHistory.of(NOW - 9_000, NOW - 2_000, NOW - 1_000);
    assertThat(decide(Restart.TRANSIENT, Outcome.FAILED, oneOld, 3).kind()).isEqualTo(Decision.Kind.RESTART);
  }

  @Test
  void zero_max_restarts_gives_up_at_once_and_permanent_gives_up_after_a_normal_end_too() {
    assertThat(decide(Restart.TRANSIENT, Outcome.FAILED, RestartHistory.EMPTY, 0).kind()).isEqualTo(Decision.Kind.GIVE_UP);
    assertThat(decide(Restart.PERMANENT, Outcome.SUCCEEDED, RestartHistory.of(NOW - 10), 1).kind()).isEqualTo(Decision.Kind.GIVE_UP);
  }

  @Test
  void the_delay_grows_with_the_restarts_in_the_window() {
    long d0 = decide(Restart.TRANSIENT, Outcome.FAILED, RestartHistory.EMPTY, 10).delayMs();
    long d1 = decide(Restart.TRANSIENT, Outcome.FAILED, RestartHistory.of(NOW - 100), 10).delayMs();
    long d2 = decide(Restart.TRANSIENT, Outcome.FAILED, RestartHistory.of(NOW - 200, NOW - 100), 10).delayMs();
    assertThat(d0).isEqualTo(75);  // ceiling 100, half fixed + 0.5 of the other half
    assertThat(d1).isEqualTo(150); // ceiling 200
    assertThat(d2).isEqualTo(300); // ceiling 400
    // Restarts that left the window no longer raise the delay: the task ran well for a while.
    assertThat(decide(Restart.TRANSIENT, Outcome.FAILED, RestartHistory.of(NOW - 6_000, NOW - 5_500), 10).delayMs()).isEqualTo(75);
  }

  @Test
  void a_task_lost_with_its_node_restarts_at_once() {
    Decision d = decide(Restart.TRANSIENT, Outcome.NODE_LOST, RestartHistory.of(NOW - 100), 3);
    assertThat(d.kind()).isEqualTo(Decision.Kind.RESTART);
    assertThat(d.delayMs()).isZero();
  }

  @Test
  void history_keeps_only_the_window_and_adds_the_new_restart() {
    RestartHistory h = RestartHistory.of(NOW - 9_000, NOW - 1_000).plus(NOW, 5_000);
    assertThat(h.times()).containsExactly(NOW - 1_000, NOW);
    assertThat(h.countSince(NOW - 500)).isEqualTo(1);
  }
}
