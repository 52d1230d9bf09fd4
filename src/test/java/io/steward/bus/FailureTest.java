package io.steward.bus;

import io.vertx.core.eventbus.ReplyException;
import io.vertx.core.eventbus.ReplyFailure;
import org.junit.jupiter.api.Test;

import static org.assertj.core.api.Assertions.assertThat;

class FailureTest {

  @Test
  void vertx_reply_failures_map_to_steward_codes() {
    assertThat(Failure.of(new ReplyException(ReplyFailure.NO_HANDLERS, "No handlers for address x"))).isEqualTo(Failure.UNAVAILABLE);
    assertThat(Failure.of(new ReplyException(ReplyFailure.TIMEOUT, "Timed out"))).isEqualTo(Failure.TIMEOUT);
    assertThat(Failure.of(new ReplyException(ReplyFailure.RECIPIENT_FAILURE, 429, "full"))).isEqualTo(Failure.OVER_CAPACITY);
    assertThat(Failure.of(new ReplyException(ReplyFailure.RECIPIENT_FAILURE, 418, "teapot"))).isEqualTo(Failure.HANDLER_FAILED);
    assertThat(Failure.of(new IllegalStateException("boom"))).isEqualTo(Failure.HANDLER_FAILED);
    assertThat(Failure.of(StewardException.notFound("no task t1"))).isEqualTo(Failure.NOT_FOUND);
  }

  @Test
  void each_code_says_whether_to_retry_and_whether_it_may_have_applied() {
    assertThat(Failure.BAD_REQUEST.retryable()).isFalse();
    assertThat(Failure.BAD_REQUEST.mayHaveApplied()).isFalse();
    assertThat(Failure.OVER_CAPACITY.retryable()).isTrue();
    assertThat(Failure.OVER_CAPACITY.mayHaveApplied()).isFalse();
    assertThat(Failure.TIMEOUT.mayHaveApplied()).isTrue();
    assertThat(Failure.INDETERMINATE.mayHaveApplied()).isTrue();
    assertThat(Failure.UNAVAILABLE.retryable()).isTrue();
    assertThat(Failure.ofCode(504)).isEqualTo(Failure.INDETERMINATE);
  }
}
