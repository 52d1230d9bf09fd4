package io.steward.tasks;

import com.hazelcast.map.ExtendedMapEntry;
import io.steward.node.StewardNode;
import io.steward.spi.ConfigException;
import io.vertx.core.json.JsonObject;
import org.junit.jupiter.api.Test;

import java.util.AbstractMap;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.TimeUnit;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

/** The steps on {@code steward.tasks.limits} and the limit keys of a supervisor, without a cluster. */
class LimitSlotsTest {

  /** An entry as an entry processor sees it, with the time to live it was last given. */
  private static final class Entry extends AbstractMap.SimpleEntry<String, String> implements ExtendedMapEntry<String, String> {
    long ttlMs = -1;

    Entry(String key) {
      super(key, null);
    }

    @Override
    public String setValue(String value, long ttl, TimeUnit unit) {
      ttlMs = unit.toMillis(ttl);
      return setValue(value);
    }

    @Override
    public String setValueWithoutChangingExpiryTime(String value) {
      return setValue(value);
    }
  }

  private static long[] acquire(Entry e, String node, int limit, int rate, long period, long now, String... ids) {
    return new LimitSlots.Acquire(node, ids, limit, rate, period, now).process(e);
  }

  @Test
  void a_concurrency_limit_grants_slots_in_order_until_full_and_a_release_makes_room() {
    Entry e = new Entry("s");
    assertThat(acquire(e, "n1", 2, 0, 0, 10, "a#1", "b#1", "c#1")).containsExactly(2, 0);
    assertThat(e.ttlMs).as("held slots never expire").isZero();
    assertThat(acquire(e, "n1", 2, 0, 0, 11, "a#1", "c#1")).as("a step run again finds its slot held").containsExactly(1, 0);
    assertThat(new LimitSlots.Release("a#1", 0).process(e)).isTrue();
    assertThat(new LimitSlots.Release("a#1", 0).process(e)).as("once").isFalse();
    assertThat(acquire(e, "n2", 2, 0, 0, 12, "c#1")).containsExactly(1, 0);
    new LimitSlots.Release("b#1", 0).process(e);
    new LimitSlots.Release("c#1", 0).process(e);
    assertThat(e.getValue()).as("an empty entry is removed").isNull();
  }

  @Test
  void a_rate_window_slides_and_says_when_its_oldest_start_leaves_it() {
    Entry e = new Entry("s");
    assertThat(acquire(e, "n1", 0, 2, 1_000, 100, "a#1")).containsExactly(1, 0);
    assertThat(acquire(e, "n1", 0, 2, 1_000, 600, "b#1", "c#1")).containsExactly(1, 1_100);
    assertThat(e.ttlMs).as("no slot held: the entry lasts one window").isEqualTo(1_000);
    assertThat(acquire(e, "n1", 0, 2, 1_000, 1_099, "c#1")).as("not yet").containsExactly(0, 1_100);
    assertThat(acquire(e, "n1", 0, 2, 1_000, 1_100, "c#1", "d#1")).as("the first start left the window")
      .containsExactly(1, 1_600);
  }

  @Test
  void a_departed_node_s_slots_are_freed_at_once_and_an_absent_one_s_only_after_the_grace() {
    Entry e = new Entry("s/customer-1");
    acquire(e, "dead", 5, 0, 0, 100, "a#1", "b#1");
    acquire(e, "absent", 5, 0, 0, 5_000, "c#1");
    acquire(e, "live", 5, 0, 0, 100, "d#1");
    assertThat(new LimitSlots.Reclaim("other", Set.of("live"), "dead", 0, 0).process(e)).as("another supervisor's")
      .isZero();
    assertThat(new LimitSlots.Reclaim("s", Set.of("live"), "dead", 1_000, 0).process(e)).isEqualTo(2);
    assertThat(new LimitSlots.Reclaim("s", Set.of("live"), "", 1_000, 0).process(e)).as("taken after the grace's start")
      .isZero();
    assertThat(new LimitSlots.Reclaim("s", Set.of("live"), "", 6_000, 0).process(e)).isEqualTo(1);
    assertThat(new JsonObject(e.getValue()).getJsonObject("held").fieldNames()).containsExactly("d#1");
  }

  private static TasksConfig resolve(JsonObject supervisor) {
    JsonObject config = new JsonObject().put("tasks", new JsonObject().put("supervisors", new JsonObject().put("x", supervisor)));
    return TasksConfig.from(StewardNode.configLoader().resolve(config, Map.of(), Map.of()).section("tasks"));
  }

  private static void refused(JsonObject supervisor, String message) {
    assertThatThrownBy(() -> resolve(supervisor)).isInstanceOf(ConfigException.class).hasMessageContaining(message);
  }

  @Test
  void limit_keys_are_parsed_and_a_supervisor_without_them_has_no_limit() {
    assertThat(resolve(new JsonObject()).supervisors().get("x").limit()).isNull();
    assertThat(resolve(new JsonObject().put("clusterLimit", 4).put("ratePerPeriod", 10).put("periodMs", 1_000)
      .put("partitionBy", "customer")).supervisors().get("x").limit()).isEqualTo(new LimitConfig(4, 10, 1_000, "customer"));
  }

  @Test
  void a_bad_limit_is_a_config_error_that_names_the_key() {
    refused(new JsonObject().put("clusterLimit", 0), "tasks.supervisors.x.clusterLimit: must be between 1 and 1000000, got 0 (leave it out for no limit)");
    refused(new JsonObject().put("clusterLimit", -3), "tasks.supervisors.x.clusterLimit: must be between 1 and 1000000, got -3");
    refused(new JsonObject().put("clusterLimit", 2.5), "tasks.supervisors.x.clusterLimit: must be an integer, got 2.5");
    refused(new JsonObject().put("clusterLimit", "3"), "tasks.supervisors.x.clusterLimit: must be an integer, got 3");
    refused(new JsonObject().put("ratePerPeriod", 5), "tasks.supervisors.x.periodMs: is required with ratePerPeriod");
    refused(new JsonObject().put("periodMs", 1_000), "tasks.supervisors.x.periodMs: needs ratePerPeriod");
    refused(new JsonObject().put("ratePerPeriod", 5).put("periodMs", 0), "tasks.supervisors.x.periodMs: must be between 1 and");
    refused(new JsonObject().put("clusterLimit", 1).put("partitionBy", 7), "tasks.supervisors.x.partitionBy: must be the name of a payload field");
    refused(new JsonObject().put("clusterLimit", 1).put("partitionBy", new JsonObject()), "tasks.supervisors.x.partitionBy: must be the name");
    refused(new JsonObject().put("partitionBy", "customer"), "tasks.supervisors.x.partitionBy: needs clusterLimit or ratePerPeriod");
  }

  @Test
  void a_partition_value_is_a_short_string_or_an_integer() {
    assertThat(LimitConfig.partitionValue(new JsonObject().put("c", "acme"), "c")).isEqualTo("acme");
    assertThat(LimitConfig.partitionValue(new JsonObject().put("c", 42), "c")).isEqualTo("42");
    assertThat(LimitConfig.partitionValue(new JsonObject().put("c", 4.2), "c")).isNull();
    assertThat(LimitConfig.partitionValue(new JsonObject().put("c", ""), "c")).isNull();
    assertThat(LimitConfig.partitionValue(new JsonObject().put("c", "x".repeat(201)), "c")).isNull();
    assertThat(LimitConfig.partitionValue(new JsonObject(), "c")).isNull();
    assertThat(LimitConfig.partitionValue("text", "c")).isNull();
  }
}
