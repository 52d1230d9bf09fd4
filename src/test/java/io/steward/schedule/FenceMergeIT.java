package io.steward.schedule;

import io.steward.testing.BridgeFires;
import io.steward.testing.NodeProcess;
import io.steward.testing.ProcessCluster;
import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.condition.EnabledIfSystemProperty;

import java.util.List;
import java.util.Map;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * Fault campaign seed 88 ("schedule fence never lowered", issue 16) with real processes and signals: two schedule
 * nodes with {@code cluster.minimumSize} 2 are SIGSTOPped together; the second resumes after 2.5 s (past
 * {@code schedule.pauseFenceMs}, 2 s: fenced) and removes the first, which resumes once it has been removed (fenced
 * too, by a stall that overlaps the second's). The two split and Hazelcast merges them, the merging one with a new
 * member UUID. Both fences must come down within 30 s of the merge ({@code schedule.fenceAloneMs} is set to 120 s,
 * so the last resort cannot be what lowers them) and every job must fire again, no tick twice, counted outside the
 * cluster through both nodes' TCP bridges. Before the fix both nodes stayed fenced until {@code fenceAloneMs}: each
 * had stalled with the other, so neither could vouch, and the merged node's new UUID counted as a member gone.
 *
 * <p>About 2 minutes; behind {@code -Dfencemerge=true}. Needs the fat jar ({@code mvn -B -o -q -DskipTests package}):
 * {@code mvn -B -o failsafe:integration-test failsafe:verify -Dit.test=FenceMergeIT -Dfencemerge=true}.
 * The same case in one JVM, with moved clocks and a forced split: {@link FenceMergeTest}.
 */
@EnabledIfSystemProperty(named = "fencemerge", matches = "true")
class FenceMergeIT {

  private static final String ADDRESS = "it.fencemerge.fires";
  private static final int JOBS = 8;
  private static final long PERIOD_MS = 500;
  private static final long LOWER_BOUND_MS = 30_000;

  @Test
  void two_nodes_stopped_together_then_split_and_merged_are_unfenced_within_seconds_of_the_merge_and_fire_again()
    throws Exception {
    try (ProcessCluster cluster = ProcessCluster.create(FenceMergeIT.class, 2)) {
      cluster.env("STEWARD_MODULES", "http,schedule,bridge")
        .env("STEWARD_BRIDGE_PORT", "0")
        .env("STEWARD_BRIDGE_OUTBOUND", new JsonArray().add(ADDRESS).encode())
        .env("STEWARD_HTTP_TARGETS", new JsonArray().add(ADDRESS).encode())
        .env("STEWARD_CLUSTER_MINIMUM_SIZE", "2")
        .env("STEWARD_SCHEDULE_FENCE_ALONE_MS", "120000");
      NodeProcess n1 = cluster.add(Map.of());
      NodeProcess n2 = cluster.add(Map.of());
      cluster.awaitHealthy(n1, 120_000);
      cluster.awaitHealthy(n2, 120_000);
      cluster.awaitNodeCount(n1, 2, 90_000);
      List<NodeProcess> nodes = List.of(n1, n2);
      try (BridgeFires fires = BridgeFires.listen(nodes, ADDRESS)) {
        for (int i = 0; i < JOBS; i++) {
          JsonObject spec = new JsonObject().put("every", PERIOD_MS + "ms")
            .put("action", new JsonObject().put("type", "publish").put("address", ADDRESS));
          NodeProcess.Response r = n1.put("/schedules/fm-" + i, spec.encode());
          assertThat(r.status()).as(r.body()).isEqualTo(200);
        }
        for (int i = 0; i < JOBS; i++) {
          String job = "fm-" + i;
          cluster.await("3 fires of " + job, 60_000, () -> fires.firesAfter(job, 0) >= 3);
        }

        // Both stop together (seed 88: both silent for seconds on a loaded host, then one SIGSTOPped past detection).
        n1.pause();
        n2.pause();
        try {
          hold(cluster, "both stopped for 2.5 s", 2_500);
          n2.resume();
          cluster.await(n2.name() + " removes " + n1.name() + " (failure detection)", 60_000, () -> members(n2) == 1);
        } finally {
          n1.resume();
          n2.resume();
        }
        cluster.await("the two merge", 120_000, () -> members(n1) == 2 && members(n2) == 2);
        long mergedAt = System.currentTimeMillis();

        for (NodeProcess n : nodes) {
          try {
            cluster.await(n.name() + "'s fence comes down within " + LOWER_BOUND_MS + " ms of the merge", LOWER_BOUND_MS,
              () -> Boolean.FALSE.equals(scheduleHealth(n).getBoolean("fenced")));
          } catch (java.util.concurrent.TimeoutException e) {
            throw new AssertionError(n.name() + " still fenced " + LOWER_BOUND_MS + " ms after the merge: "
              + scheduleHealth(n).encode() + cluster.logs(30), e);
          }
        }
        long lowered = System.currentTimeMillis();
        assertThat(lowered - mergedAt).isLessThan(LOWER_BOUND_MS + 2_000);
        for (int i = 0; i < JOBS; i++) {
          String job = "fm-" + i;
          cluster.await("3 fires of " + job + " after the fences came down", 30_000,
            () -> fires.firesAfter(job, lowered) >= 3);
          assertThat(fires.doubled(job)).as("ticks of %s fired twice", job).isEmpty();
        }
        for (NodeProcess n : nodes) {
          assertThat(n.logText()).as(n.name() + "'s log").contains("Schedule fence lowered");
        }
      }
    }
  }

  /** Waits out a fault's duration (the processes are stopped: there is no event to wait on). */
  private static void hold(ProcessCluster cluster, String what, long ms) throws Exception {
    long until = System.nanoTime() + ms * 1_000_000;
    cluster.await(what, ms + 10_000, () -> System.nanoTime() >= until);
  }

  /** The members a node's cluster check counts (0 while it does not answer). */
  private static int members(NodeProcess node) {
    NodeProcess.Response r = node.get("/health");
    if (r.status() != 200 && r.status() != 503) {
      return 0;
    }
    for (Object o : r.json().getJsonArray("checks", new JsonArray())) {
      JsonObject check = (JsonObject) o;
      if ("cluster".equals(check.getString("id"))) {
        return check.getJsonObject("data", new JsonObject()).getInteger("members", 0);
      }
    }
    return 0;
  }

  /** The schedule module's part of {@code GET /health} (the {@code node} check's data), empty if it does not answer. */
  private static JsonObject scheduleHealth(NodeProcess node) {
    NodeProcess.Response r = node.get("/health");
    if (r.status() != 200 && r.status() != 503) {
      return new JsonObject();
    }
    return r.json().getJsonArray("checks", new JsonArray()).stream().map(c -> (JsonObject) c)
      .filter(c -> "node".equals(c.getString("id"))).findFirst()
      .map(c -> c.getJsonObject("data", new JsonObject()).getJsonObject("schedule", new JsonObject()))
      .orElse(new JsonObject());
  }
}
