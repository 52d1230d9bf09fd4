package io.steward.client;

import org.junit.jupiter.api.Test;

import java.time.Duration;
import java.time.Instant;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * The client's delayed and prioritised submits: {@code delay} and {@code runAt} as the submit body names them, each
 * replacing the other; {@code priority} as is.
 */
class TaskRequestDelayTest {

  @Test
  void a_delay_and_a_runAt_are_sent_as_delayMs_and_epoch_milliseconds_and_each_replaces_the_other() {
    TaskRequest delayed = TaskRequest.of("email").delay(Duration.ofMinutes(5));
    assertThat(delayed.toJson().getLong("delayMs")).isEqualTo(300_000L);
    TaskRequest at = delayed.runAt(Instant.ofEpochMilli(1_900_000_000_000L));
    assertThat(at.toJson().getLong("runAt")).isEqualTo(1_900_000_000_000L);
    assertThat(at.toJson().containsKey("delayMs")).isFalse();
    assertThat(at.delay(Duration.ofSeconds(1)).toJson().containsKey("runAt")).isFalse();
    assertThat(delayed.toJson().containsKey("runAt")).as("immutable").isFalse();
  }

  @Test
  void a_priority_is_sent_as_the_submit_body_names_it() {
    assertThat(TaskRequest.of("email").priority(5).toJson().getInteger("priority")).isEqualTo(5);
    assertThat(TaskRequest.of("email").toJson().containsKey("priority")).isFalse();
  }
}
