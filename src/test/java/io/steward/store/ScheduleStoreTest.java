package io.steward.store;

import io.steward.bus.Addresses;
import io.steward.node.StewardNode;
import io.steward.testing.Poll;
import io.steward.testing.TestCluster;
import io.vertx.core.Vertx;
import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.nio.file.Path;
import java.time.Instant;
import java.util.List;
import java.util.concurrent.Callable;
import java.util.concurrent.TimeUnit;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * Scheduled jobs on the embedded store: put through the API, the only node stopped and started again, the jobs
 * are there and resume per their misfire policy — the ticks of the downtime missed, under {@code fire-once} the
 * latest of them run once, late, and never a burst of catch-up runs.
 */
class ScheduleStoreTest {

  @TempDir
  static Path dir;
  private static TestCluster cluster;
  private static Vertx poller;

  @BeforeAll
  static void start() {
    cluster = TestCluster.create(ScheduleStoreTest.class, 2);
    poller = Vertx.vertx();
  }

  @AfterAll
  static void stop() throws Exception {
    cluster.close();
    poller.close().await(10, TimeUnit.SECONDS);
  }

  private static JsonObject config() {
    return new JsonObject().put("store", new JsonObject().put("kind", "embedded").put("dir", dir.resolve("store").toString()));
  }

  private static void await(String what, long timeoutMs, Callable<Boolean> check) throws Exception {
    Poll.until(poller, what, timeoutMs, () -> poller.executeBlocking(check, false)).await(timeoutMs + 5_000, TimeUnit.MILLISECONDS);
  }

  private static JsonObject job(String name, String misfire) {
    return new JsonObject().put("name", name).put("every", "1s").put("misfire", misfire)
      .put("action", new JsonObject().put("type", "publish").put("address", "store.test.ticks")
        .put("body", new JsonObject().put("job", name)));
  }

  private static JsonArray runs(StewardNode node, String name) throws Exception {
    return Calls.call(node, Addresses.Schedule.HISTORY, new JsonObject().put("name", name).put("limit", 20)).getJsonArray("runs");
  }

  private static long at(JsonObject run) {
    return Instant.parse(run.getString("scheduledAt")).toEpochMilli();
  }

  private static long succeededSince(JsonArray runs, long from) {
    return runs.stream().map(JsonObject.class::cast)
      .filter(r -> at(r) > from && "succeeded".equals(r.getString("outcome"))).count();
  }

  @Test
  void jobs_put_through_the_api_survive_a_restart_of_the_only_node_and_resume_per_their_misfire_policy() throws Exception {
    StewardNode first = cluster.start(List.of("schedule"), config()).await(60, TimeUnit.SECONDS);
    // The claim state keeps its own configuration (object form, the larger side wins a merge) with the store added.
    com.hazelcast.config.MapConfig state = io.steward.spi.Cluster.hazelcast(first.vertx()).getConfig()
      .findMapConfig("steward-schedule-state");
    assertThat(state.getInMemoryFormat()).isEqualTo(com.hazelcast.config.InMemoryFormat.OBJECT);
    assertThat(state.getMergePolicyConfig().getPolicy()).isEqualTo(io.steward.schedule.StateMergePolicy.class.getName());
    assertThat(state.getMapStoreConfig().isEnabled()).isTrue();
    Calls.call(first, Addresses.Schedule.PUT, job("catch-up-once", "fire-once"));
    Calls.call(first, Addresses.Schedule.PUT, job("skip-missed", "skip"));
    await("both jobs have run", 30_000, () -> succeededSince(runs(first, "catch-up-once"), 0) >= 2
      && succeededSince(runs(first, "skip-missed"), 0) >= 2);
    cluster.stop(first).await(60, TimeUnit.SECONDS);
    long stopped = System.currentTimeMillis();
    // The downtime is the scenario, not a synchronization: at least three ticks pass with no node up.
    poller.timer(3_500).await(10, TimeUnit.SECONDS);

    StewardNode second = cluster.start(List.of("schedule"), config()).await(60, TimeUnit.SECONDS);
    long up = System.currentTimeMillis();
    assertThat(up - stopped).as("the downtime spans several ticks").isGreaterThan(3_000);
    JsonObject stored = Calls.call(second, Addresses.Schedule.GET, new JsonObject().put("name", "catch-up-once"));
    assertThat(stored.getString("misfire")).isEqualTo("fire-once");
    await("both jobs run again on time", 30_000, () -> succeededSince(runs(second, "catch-up-once"), up) >= 2
      && succeededSince(runs(second, "skip-missed"), up) >= 2);

    // The history of before the stop is there too (the state map was loaded back).
    JsonArray once = runs(second, "catch-up-once");
    JsonArray skip = runs(second, "skip-missed");
    assertThat(once.stream().map(JsonObject.class::cast).filter(r -> at(r) < stopped
      && "succeeded".equals(r.getString("outcome")))).as("runs before the stop").isNotEmpty();
    // The ticks of the downtime: recorded as missed (the claim mark came back from the store), and no catch-up
    // burst: under skip nothing ran later than its next tick; under fire-once one tick at most did.
    List<JsonObject> onceAfter = once.stream().map(JsonObject.class::cast).filter(r -> at(r) > stopped).toList();
    List<JsonObject> skipAfter = skip.stream().map(JsonObject.class::cast).filter(r -> at(r) > stopped).toList();
    assertThat(skipAfter).as("skip: a tick of the downtime is recorded as missed")
      .anySatisfy(r -> assertThat(r.getString("outcome")).isEqualTo("missed"));
    assertThat(onceAfter).as("fire-once: a tick of the downtime is recorded as missed")
      .anySatisfy(r -> assertThat(r.getString("outcome")).isEqualTo("missed"));
    assertThat(skipAfter.stream().filter(r -> "succeeded".equals(r.getString("outcome")) && r.getLong("latenessMs") >= 1_000))
      .as("skip: no late catch-up run").isEmpty();
    assertThat(onceAfter.stream().filter(r -> "succeeded".equals(r.getString("outcome")) && r.getLong("latenessMs") >= 1_000).count())
      .as("fire-once: at most one late catch-up run").isLessThanOrEqualTo(1);
  }
}
