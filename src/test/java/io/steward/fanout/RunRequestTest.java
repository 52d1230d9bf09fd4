package io.steward.fanout;

import io.steward.bus.Failure;
import io.steward.bus.StewardException;
import io.vertx.core.json.Json;
import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import org.junit.jupiter.api.Test;

import java.nio.charset.StandardCharsets;
import java.util.Random;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

/** Parsing and validating fan-out requests, the retry policy, and the JSON size that the limit checks. Pure. */
class RunRequestTest {

  static final FanoutConfig CONFIG = new FanoutConfig(10, 200, 8, 4, 1_000, 5_000, 60_000, 4, 1);

  private static RunRequest parse(JsonObject body) {
    return RunRequest.parse(body, CONFIG);
  }

  private static void rejected(Object body, String message) {
    assertThatThrownBy(() -> RunRequest.parse(body, CONFIG))
      .isInstanceOfSatisfying(StewardException.class, e -> assertThat(e.failure()).isEqualTo(Failure.BAD_REQUEST))
      .hasMessageStartingWith(message);
  }

  private static JsonObject items(int n) {
    JsonArray items = new JsonArray();
    for (int i = 0; i < n; i++) {
      items.add(i);
    }
    return new JsonObject().put("address", "a").put("items", items);
  }

  @Test
  void the_three_forms_and_the_defaults() {
    RunRequest one = parse(items(3));
    assertThat(one.target()).isInstanceOf(Target.OneAddress.class);
    assertThat(one.target().address(2)).isEqualTo("a");
    assertThat(one.target().body(2)).isEqualTo(2);
    assertThat(one.mode()).isEqualTo(Mode.ALL);
    assertThat(one.concurrency()).as("default 4, clamped to the 3 items").isEqualTo(3);
    assertThat(one.timeoutMs()).isEqualTo(1_000);
    assertThat(one.deadlineMs()).isEqualTo(5_000);
    assertThat(one.ordered()).isTrue();
    assertThat(one.retry()).isNull();
    assertThat(one.delivery().getSendTimeout()).isEqualTo(1_000);

    RunRequest explicit = parse(new JsonObject().put("requests", new JsonArray()
      .add(new JsonObject().put("address", "x").put("body", new JsonObject().put("k", 1)))
      .add(new JsonObject().put("address", "y").put("headers", new JsonObject().put("h", "v")))));
    assertThat(explicit.target().address(1)).isEqualTo("y");
    assertThat(explicit.target().body(1)).isNull();
    assertThat(explicit.target().options(0, explicit.delivery())).isSameAs(explicit.delivery());
    assertThat(explicit.target().options(1, explicit.delivery()).getHeaders().get("h")).isEqualTo("v");

    RunRequest tasks = parse(new JsonObject().put("type", "echo").put("items", new JsonArray().add("p")).put("timeoutMs", 500));
    assertThat(tasks.target().address(0)).isEqualTo("steward.tasks.run");
    assertThat(tasks.target().body(0)).isEqualTo(new JsonObject().put("type", "echo").put("payload", "p").put("timeoutMs", 500L));
    assertThat(tasks.delivery().getSendTimeout()).as("the task answers its own timeout first").isEqualTo(500 + RunRequest.TASK_REPLY_MARGIN_MS);
  }

  @Test
  void the_options_are_read() {
    RunRequest r = parse(items(5).put("mode", "quorum").put("n", 5).put("concurrency", 2).put("timeoutMs", 10)
      .put("deadlineMs", 20).put("ordered", false).put("headers", new JsonObject().put("x", "1"))
      .put("retry", new JsonObject().put("count", 2).put("backoffMs", 5).put("on", new JsonArray().add(503))));
    assertThat(r.mode()).isEqualTo(Mode.QUORUM);
    assertThat(r.quorum()).isEqualTo(5);
    assertThat(r.concurrency()).isEqualTo(2);
    assertThat(r.ordered()).isFalse();
    assertThat(r.retry().count()).isEqualTo(2);
    assertThat(r.retry().on()).containsExactly(503);
    assertThat(r.delivery().getHeaders().get("x")).isEqualTo("1");
  }

  @Test
  void bad_input_names_the_field() {
    rejected("not json", "body: a JSON object is required");
    rejected(new JsonObject(), "requests: is required");
    rejected(new JsonObject().put("address", "a").put("items", new JsonArray()), "items: must not be empty");
    rejected(new JsonObject().put("requests", new JsonArray()), "requests: must not be empty");
    rejected(new JsonObject().put("address", "a"), "items: is required with address");
    rejected(items(2).put("type", "echo"), "type: give only one of");
    rejected(items(2).put("concurrency", 0), "concurrency: must be at least 1, got 0");
    rejected(items(2).put("mode", "most"), "mode: must be one of all, settled, any, quorum, got 'most'");
    rejected(items(2).put("mode", "quorum"), "n: is required with mode quorum");
    rejected(items(2).put("mode", "quorum").put("n", 3), "n: a quorum of 3 is larger than the 2 items");
    rejected(items(2).put("n", 1), "n: is only used with mode quorum");
    rejected(items(2).put("timeoutMs", 0), "timeoutMs: must be between 1 and 60000, got 0");
    rejected(items(2).put("colour", "red"), "colour: unknown field");
    rejected(items(2).put("retry", new JsonObject().put("count", 11)), "retry.count: must be between 0 and 10, got 11");
    rejected(items(2).put("retry", new JsonObject().put("tries", 1)), "retry.tries: unknown field");
    rejected(items(2).put("retry", new JsonObject().put("on", new JsonArray().add("x"))), "retry.on[0]: must be a failure code");
    rejected(items(2).put("headers", new JsonObject().put("h", 1)), "headers.h: must be a string");
    rejected(new JsonObject().put("requests", new JsonArray().add(new JsonObject().put("address", "x")).add("y")),
      "requests[1]: must be an object");
    rejected(new JsonObject().put("requests", new JsonArray().add(new JsonObject().put("body", 1))),
      "requests[0].address: is required");
    rejected(new JsonObject().put("requests", new JsonArray().add(new JsonObject().put("address", "x").put("bdy", 1))),
      "requests[0].bdy: unknown field");
    rejected(new JsonObject().put("requests", new JsonArray().add(new JsonObject().put("address", "x")
      .put("headers", new JsonObject().put("h", true)))), "requests[0].headers.h: must be a string");
    rejected(new JsonObject().put("requests", new JsonArray().add(new JsonObject().put("address", "x"))).put("items", new JsonArray().add(1)),
      "items: is not used with requests");
  }

  @Test
  void the_limits_are_named_when_exceeded() {
    rejected(items(11), "items: 11 items is over the limit of 10 (fanout.maxItems)");
    rejected(items(2).put("concurrency", 9), "concurrency: must be at most 8 (the limit fanout.maxConcurrency), got 9");
    rejected(new JsonObject().put("address", "a").put("items", new JsonArray().add("x".repeat(300))),
      "items: the items total more than 200 bytes of JSON (the limit fanout.maxBodyBytes)");
    rejected(new JsonObject().put("requests", new JsonArray()
        .add(new JsonObject().put("address", "a").put("body", "x".repeat(150)))
        .add(new JsonObject().put("address", "a").put("body", "x".repeat(150)))),
      "requests: the request bodies total more than 200 bytes of JSON (the limit fanout.maxBodyBytes)");
    rejected(items(2).put("deadlineMs", 60_001), "deadlineMs: must be between 1 and 60000, got 60001");
  }

  @Test
  void the_json_size_is_the_size_of_the_encoded_text() {
    Random random = new Random(42);
    String[] samples = {"", "plain", "quote\" and \\ backslash", "tab\t nl\n cr\r bs\b ff\f", "ctl\u0001\u001f",
      "é ü ñ", "€ 中文", "emoji \uD83D\uDE00", "/slash"};
    JsonObject o = new JsonObject();
    for (int i = 0; i < samples.length; i++) {
      o.put("k" + samples[i], samples[i]);
    }
    o.put("ints", new JsonArray().add(0).add(-1).add(7).add(Long.MAX_VALUE).add(Long.MIN_VALUE).add(Integer.MIN_VALUE))
      .put("bools", new JsonArray().add(true).add(false).addNull())
      .put("doubles", new JsonArray().add(1.5).add(-0.001).add(1e300))
      .put("nested", new JsonObject().put("a", new JsonArray().add(new JsonObject()).add(new JsonArray())));
    for (int i = 0; i < 50; i++) {
      StringBuilder sb = new StringBuilder();
      for (int c = 0; c < 20; c++) {
        sb.append((char) (random.nextInt(0xD000)));
      }
      o.put("r" + i, sb.toString());
    }
    int encoded = Json.encode(o).getBytes(StandardCharsets.UTF_8).length;
    assertThat(JsonSize.of(o, Long.MAX_VALUE)).isEqualTo(encoded);
    assertThat(JsonSize.of(o, 100)).as("stops early, above the limit").isGreaterThan(100).isLessThan(encoded);
  }

  @Test
  void retries_back_off_exponentially_up_to_the_cap_and_only_on_the_listed_codes() {
    Retry retry = Retry.parse(new JsonObject().put("count", 3).put("backoffMs", 100).put("maxBackoffMs", 250), 60_000);
    assertThat(retry.delayMs(1)).isEqualTo(100);
    assertThat(retry.delayMs(2)).isEqualTo(200);
    assertThat(retry.delayMs(3)).isEqualTo(250);
    assertThat(retry.retries(1, 503)).isTrue();
    assertThat(retry.retries(3, 408)).isTrue();
    assertThat(retry.retries(4, 408)).as("three retries after the first attempt").isFalse();
    assertThat(retry.retries(1, 400)).isFalse();
    assertThat(retry.on()).isEqualTo(Retry.DEFAULT_ON);
  }
}
