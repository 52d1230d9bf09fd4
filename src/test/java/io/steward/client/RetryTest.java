package io.steward.client;

import io.vertx.core.Vertx;
import io.vertx.core.json.JsonObject;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

import java.time.Duration;
import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.TimeUnit;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

/**
 * The retry helper on a local event bus whose handlers fail as a node would: a retry sends the very same body (the
 * task's key, the update's opId), and a failure that may have applied is retried only for idempotent calls.
 */
class RetryTest {

  private Vertx vertx;
  private final List<JsonObject> received = new CopyOnWriteArrayList<>();
  private StewardClient client;

  @BeforeEach
  void start() {
    vertx = Vertx.vertx();
    client = StewardClient.over(vertx, 5_000).withRetry(Retry.attempts(3).backoff(Duration.ofMillis(1), Duration.ofMillis(5)));
  }

  @AfterEach
  void stop() throws Exception {
    vertx.close().await(10, TimeUnit.SECONDS);
  }

  /** Answers {@code address}: fails with {@code code} the first {@code failures} times, then replies {@code reply}. */
  private void answer(String address, int code, int failures, JsonObject reply) {
    vertx.eventBus().<JsonObject>consumer(address, msg -> {
      received.add(msg.body());
      if (received.size() <= failures) {
        msg.fail(code, "failing as a node would");
      } else {
        msg.reply(reply);
      }
    }).completion().await();
  }

  @Test
  void a_submit_retried_after_a_timeout_carries_the_same_made_up_key() throws Exception {
    answer(Tasks.SUBMIT, 408, 1, new JsonObject().put("id", "t-1").put("existing", true));
    Submitted s = client.tasks().submit("echo", "hi").await(10, TimeUnit.SECONDS);
    assertThat(s).isEqualTo(new Submitted("t-1", true));
    assertThat(received).hasSize(2);
    assertThat(received.get(0).getString("key")).startsWith("client-");
    assertThat(received.get(0).getLong("uniqueForMs")).isEqualTo(Duration.ofMinutes(10).toMillis());
    assertThat(received.get(1)).isEqualTo(received.get(0));
  }

  @Test
  void an_update_retried_after_an_indeterminate_answer_keeps_its_op_id() throws Exception {
    answer(Cache.UPDATE, 504, 2, new JsonObject().put("value", 1).put("opId", "x").put("duplicate", true));
    Updated u = client.cache("c").update("k", Update.increment(1)).await(10, TimeUnit.SECONDS);
    assertThat(u.duplicate()).isTrue();
    assertThat(received).hasSize(3);
    assertThat(received.get(0).getString("opId")).isNotBlank();
    assertThat(received).allSatisfy(body -> assertThat(body).isEqualTo(received.get(0)));
  }

  @Test
  void a_fanout_that_may_have_applied_is_not_retried_but_one_refused_is() throws Exception {
    answer(Fanout.RUN, 408, 1, new JsonObject().put("outcome", "satisfied"));
    assertThatThrownBy(() -> client.fanout().run(FanoutRequest.tasks("echo", List.of(1))).await(10, TimeUnit.SECONDS))
      .isInstanceOfSatisfying(StewardException.class, e -> {
        assertThat(e.code()).isEqualTo(408);
        assertThat(e.mayHaveApplied()).isTrue();
      });
    assertThat(received).hasSize(1);

    received.clear();
    answer(Fanout.GATHER, 503, 1, new JsonObject().put("verb", "health"));
    assertThat(client.fanout().gather("health").await(10, TimeUnit.SECONDS).verb()).isEqualTo("health");
    assertThat(received).hasSize(2);
  }

  @Test
  void a_failure_that_is_not_retryable_is_not_retried_and_stops_after_max_attempts() throws Exception {
    answer(Cache.GET, 400, 5, new JsonObject());
    assertThatThrownBy(() -> client.cache("c").get("k").await(10, TimeUnit.SECONDS))
      .isInstanceOfSatisfying(StewardException.class, e -> assertThat(e.failure()).isEqualTo(FailureCode.BAD_REQUEST));
    assertThat(received).hasSize(1);

    received.clear();
    answer(Cache.DELETE, 429, 5, new JsonObject());
    assertThatThrownBy(() -> client.cache("c").delete("k").await(10, TimeUnit.SECONDS))
      .isInstanceOfSatisfying(StewardException.class, e -> assertThat(e.code()).isEqualTo(429));
    assertThat(received).as("three attempts in all").hasSize(3);
  }

  @Test
  void a_failure_without_a_code_reads_as_500() {
    vertx.eventBus().consumer(Tasks.GET, msg -> msg.fail(-1, "a handler of your own failing without a code")).completion().await();
    assertThatThrownBy(() -> StewardClient.over(vertx, 5_000).tasks().get("t-1").await(10, TimeUnit.SECONDS))
      .isInstanceOfSatisfying(StewardException.class, e -> {
        assertThat(e.code()).isEqualTo(500);
        assertThat(e.failure()).isEqualTo(FailureCode.HANDLER_FAILED);
      });
  }

  @Test
  void without_a_handler_a_call_fails_as_unavailable() {
    StewardClient plain = StewardClient.over(vertx, 5_000);
    assertThatThrownBy(() -> plain.tasks().get("t-1").await(10, TimeUnit.SECONDS))
      .isInstanceOfSatisfying(StewardException.class, e -> {
        assertThat(e.code()).isEqualTo(503);
        assertThat(e.retryable()).isTrue();
        assertThat(e.mayHaveApplied()).isFalse();
        assertThat(e.address()).isEqualTo(Tasks.GET);
      });
  }
}
