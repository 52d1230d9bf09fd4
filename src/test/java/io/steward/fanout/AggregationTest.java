package io.steward.fanout;

import org.junit.jupiter.api.Test;

import java.util.ArrayList;
import java.util.List;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

/** The fan-out state machine, without Vert.x: windows, modes, final statuses, completion order. */
class AggregationTest {

  private static List<Integer> takeAll(Aggregation a) {
    List<Integer> out = new ArrayList<>();
    int i;
    while ((i = a.take()) >= 0) {
      out.add(i);
    }
    return out;
  }

  private static List<Status> statuses(Aggregation a) {
    List<Status> out = new ArrayList<>();
    for (int i = 0; i < a.total(); i++) {
      out.add(a.status(i));
    }
    return out;
  }

  @Test
  void the_window_never_holds_more_than_the_concurrency_and_refills_on_each_completion() {
    Aggregation a = new Aggregation(Mode.SETTLED, 5, 0, 2);
    assertThat(takeAll(a)).containsExactly(0, 1);
    assertThat(a.inFlight()).isEqualTo(2);
    a.complete(1, Status.OK);
    assertThat(takeAll(a)).containsExactly(2);
    a.complete(0, Status.FAILED);
    a.complete(2, Status.OK);
    assertThat(takeAll(a)).containsExactly(3, 4);
    assertThat(a.decided()).isFalse();
  }

  @Test
  void all_is_satisfied_when_every_item_succeeded() {
    Aggregation a = new Aggregation(Mode.ALL, 3, 0, 3);
    takeAll(a);
    a.complete(2, Status.OK);
    a.complete(0, Status.OK);
    assertThat(a.decided()).isFalse();
    a.complete(1, Status.OK);
    assertThat(a.outcome()).isEqualTo(Outcome.SATISFIED);
    assertThat(a.count(Status.OK)).isEqualTo(3);
  }

  @Test
  void all_fails_at_the_first_failure_abandoning_items_in_flight_and_not_sending_the_rest() {
    Aggregation a = new Aggregation(Mode.ALL, 5, 0, 2);
    takeAll(a);
    a.complete(0, Status.OK);
    takeAll(a); // sends 2
    a.complete(1, Status.TIMED_OUT);
    assertThat(a.outcome()).isEqualTo(Outcome.FAILED);
    assertThat(statuses(a)).containsExactly(Status.OK, Status.TIMED_OUT, Status.ABANDONED, Status.NOT_SENT, Status.NOT_SENT);
    assertThat(a.take()).isEqualTo(-1);
    assertThat(a.inFlight()).isZero();
    assertThat(a.complete(2, Status.OK)).as("a late answer to an abandoned item is ignored").isFalse();
    assertThat(a.status(2)).isEqualTo(Status.ABANDONED);
  }

  @Test
  void settled_waits_for_every_item_whatever_its_outcome() {
    Aggregation a = new Aggregation(Mode.SETTLED, 3, 0, 3);
    takeAll(a);
    a.complete(0, Status.FAILED);
    a.complete(1, Status.TIMED_OUT);
    assertThat(a.decided()).isFalse();
    a.complete(2, Status.OK);
    assertThat(a.outcome()).isEqualTo(Outcome.SATISFIED);
    assertThat(statuses(a)).containsExactly(Status.FAILED, Status.TIMED_OUT, Status.OK);
  }

  @Test
  void any_is_satisfied_by_the_first_success() {
    Aggregation a = new Aggregation(Mode.ANY, 4, 0, 3);
    takeAll(a);
    a.complete(1, Status.FAILED);
    assertThat(a.decided()).isFalse();
    a.complete(2, Status.OK);
    assertThat(a.outcome()).isEqualTo(Outcome.SATISFIED);
    assertThat(statuses(a)).containsExactly(Status.ABANDONED, Status.FAILED, Status.OK, Status.NOT_SENT);
  }

  @Test
  void any_fails_only_when_every_item_failed() {
    Aggregation a = new Aggregation(Mode.ANY, 2, 0, 1);
    takeAll(a);
    a.complete(0, Status.FAILED);
    assertThat(a.decided()).isFalse();
    takeAll(a);
    a.complete(1, Status.TIMED_OUT);
    assertThat(a.outcome()).isEqualTo(Outcome.FAILED);
  }

  @Test
  void quorum_is_satisfied_by_n_successes() {
    Aggregation a = new Aggregation(Mode.QUORUM, 5, 2, 5);
    takeAll(a);
    a.complete(4, Status.OK);
    a.complete(0, Status.FAILED);
    assertThat(a.decided()).isFalse();
    a.complete(3, Status.OK);
    assertThat(a.outcome()).isEqualTo(Outcome.SATISFIED);
    assertThat(a.count(Status.ABANDONED)).isEqualTo(2);
  }

  @Test
  void quorum_fails_as_soon_as_n_successes_are_out_of_reach() {
    Aggregation a = new Aggregation(Mode.QUORUM, 4, 3, 4);
    takeAll(a);
    a.complete(0, Status.FAILED);
    assertThat(a.decided()).as("3 of the remaining 3 could still succeed").isFalse();
    a.complete(1, Status.LEFT);
    assertThat(a.outcome()).isEqualTo(Outcome.FAILED);
  }

  @Test
  void the_deadline_abandons_items_in_flight_and_leaves_the_rest_not_sent() {
    Aggregation a = new Aggregation(Mode.SETTLED, 4, 0, 2);
    takeAll(a);
    a.complete(0, Status.OK);
    takeAll(a);
    a.deadline();
    assertThat(a.outcome()).isEqualTo(Outcome.DEADLINE);
    assertThat(statuses(a)).containsExactly(Status.OK, Status.ABANDONED, Status.ABANDONED, Status.NOT_SENT);
    assertThat(a.count(Status.NOT_SENT)).isEqualTo(1);
    assertThat(a.count(Status.ABANDONED)).isEqualTo(2);
  }

  @Test
  void a_deadline_after_the_decision_changes_nothing() {
    Aggregation a = new Aggregation(Mode.ANY, 2, 0, 2);
    takeAll(a);
    a.complete(0, Status.OK);
    a.deadline();
    assertThat(a.outcome()).isEqualTo(Outcome.SATISFIED);
  }

  @Test
  void an_item_waiting_for_a_retry_keeps_its_slot_and_ends_with_its_last_failure() {
    Aggregation a = new Aggregation(Mode.SETTLED, 3, 0, 1);
    assertThat(takeAll(a)).containsExactly(0);
    a.backoff(0, Status.TIMED_OUT);
    assertThat(a.take()).as("the retrying item keeps the only slot").isEqualTo(-1);
    assertThat(a.inFlight()).isZero();
    assertThat(a.resend(0)).isTrue();
    a.backoff(0, Status.FAILED);
    a.deadline();
    assertThat(statuses(a)).containsExactly(Status.FAILED, Status.NOT_SENT, Status.NOT_SENT);
    assertThat(a.resend(0)).as("no retry once decided").isFalse();
  }

  @Test
  void completion_order_lists_finished_items_first_then_the_sealed_ones_by_index() {
    Aggregation a = new Aggregation(Mode.ANY, 5, 0, 4);
    takeAll(a);
    a.complete(3, Status.FAILED);
    a.complete(1, Status.OK);
    List<Integer> order = new ArrayList<>();
    for (int k = 0; k < a.finished(); k++) {
      order.add(a.completedAt(k));
    }
    assertThat(order).containsExactly(3, 1, 0, 2, 4);
  }

  @Test
  void an_empty_settled_gather_is_satisfied_at_once() {
    Aggregation a = new Aggregation(Mode.SETTLED, 0, 0, 1);
    assertThat(a.outcome()).isEqualTo(Outcome.SATISFIED);
    assertThat(a.take()).isEqualTo(-1);
  }

  @Test
  void misuse_is_refused() {
    assertThatThrownBy(() -> new Aggregation(Mode.QUORUM, 2, 3, 1)).isInstanceOf(IllegalArgumentException.class);
    Aggregation a = new Aggregation(Mode.SETTLED, 2, 0, 1);
    assertThatThrownBy(() -> a.complete(1, Status.OK)).as("never sent").isInstanceOf(IllegalStateException.class);
    a.take();
    assertThatThrownBy(() -> a.complete(0, Status.NOT_SENT)).isInstanceOf(IllegalArgumentException.class);
  }
}
