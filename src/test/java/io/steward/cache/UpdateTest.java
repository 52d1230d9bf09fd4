package io.steward.cache;

import io.vertx.core.json.JsonObject;
import org.junit.jupiter.api.Test;

import static org.assertj.core.api.Assertions.assertThat;

/** The pure part of atomic updates: what the entry processor does to an entry, and how retries are recognised. */
class UpdateTest {

  private static Update increment(String opId, long by) {
    return new Update(opId, Update.INCREMENT, Long.toString(by), "0");
  }

  @Test
  void the_same_operation_applied_twice_changes_the_value_once() {
    Update.Outcome first = increment("op-1", 5).apply(null, 64, 1_000, 0);
    assertThat(first.value().json()).isEqualTo("5");
    assertThat(first.duplicate()).isFalse();
    // Hazelcast retries the processor on the new owner, which already holds the first attempt's result.
    Update.Outcome retried = increment("op-1", 5).apply(first.value(), 64, 1_000, 0);
    assertThat(retried.duplicate()).isTrue();
    assertThat(retried.value().json()).isEqualTo("5");
    assertThat(increment("op-2", 5).apply(first.value(), 64, 1_000, 0).value().json()).isEqualTo("10");
  }

  @Test
  void an_entry_remembers_the_last_operation_ids_only() {
    CacheValue v = null;
    for (int i = 0; i < 10; i++) {
      v = increment("op-" + i, 1).apply(v, 4, 1_000, 0).value();
    }
    assertThat(v.json()).isEqualTo("10");
    assertThat(v.rememberedOps()).isEqualTo(4);
    assertThat(v.applied("op-9")).isTrue();
    assertThat(v.applied("op-6")).isTrue();
    assertThat(v.applied("op-5")).as("forgotten: older than the last 4").isFalse();
  }

  @Test
  void a_refused_update_changes_nothing_and_says_why() {
    CacheValue text = CacheValue.of("\"hello\"");
    Update.Outcome refused = increment("op-1", 1).apply(text, 64, 1_000, 0);
    assertThat(refused.failure()).isEqualTo(409);
    assertThat(refused.message()).contains("a string, not a number");
    assertThat(refused.value()).isSameAs(text);

    Update big = new Update("op-2", Update.MERGE, new JsonObject().put("bio", "x".repeat(50)).encode(), null);
    Update.Outcome tooBig = big.apply(CacheValue.of("{}"), 64, 40, 0);
    assertThat(tooBig.failure()).isEqualTo(400);
    assertThat(tooBig.message()).contains("over the limit of 40 bytes");
  }

  @Test
  void merges_keep_the_operation_log_of_the_entry() {
    Update.Outcome first = new Update("m-1", Update.MERGE, "{\"a\":1}", null).apply(null, 64, 1_000, 0);
    Update.Outcome second = new Update("m-2", Update.MERGE, "{\"b\":2}", null).apply(first.value(), 64, 1_000, 0);
    assertThat(new JsonObject(second.value().json())).isEqualTo(new JsonObject().put("a", 1).put("b", 2));
    assertThat(second.value().applied("m-1")).isTrue();
    assertThat(new Update("m-1", Update.MERGE, "{\"a\":9}", null).apply(second.value(), 64, 1_000, 0).duplicate()).isTrue();
  }

  @Test
  void an_update_of_a_deleted_key_starts_again_from_nothing_one_version_after_the_delete() {
    CacheValue counted = increment("op-1", 5).apply(null, 64, 1_000, 10).value();
    assertThat(counted.version()).isEqualTo(1);
    CacheValue deleted = CacheValue.tombstone(counted, 20);
    assertThat(deleted.tombstone()).isTrue();
    assertThat(deleted.version()).isEqualTo(2);
    assertThat(CacheValue.live(deleted)).isNull();

    Update.Outcome again = increment("op-1", 5).apply(deleted, 64, 1_000, 30);
    assertThat(again.duplicate()).as("a delete forgets the update ids, as removing the entry did").isFalse();
    assertThat(again.value().json()).isEqualTo("5");
    assertThat(again.value().version()).isEqualTo(3);
    assertThat(again.value().stamp()).isEqualTo(30);
    assertThat(CacheValue.replacing(deleted, "\"x\"", 40).rememberedOps()).isZero();
  }

  @Test
  void a_flight_marker_lists_each_waiting_node_once() {
    Flight f = Flight.claimed("c1", "node-a", new String[0]).withWaiter("node-b", "t1").withWaiter("node-c", "t2")
      .withWaiter("node-b", "t3");
    assertThat(f.waiters()).containsExactly("node-b", "t3", "node-c", "t2");
    assertThat(Flight.failed(500, "boom").isFailure()).isTrue();
  }
}
