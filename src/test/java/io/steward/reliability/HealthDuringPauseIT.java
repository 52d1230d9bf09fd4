package io.steward.reliability;

import io.steward.testing.BlockedThreads;
import io.steward.testing.NodeProcess;
import io.steward.testing.ProcessCluster;
import io.vertx.core.json.JsonObject;
import org.junit.jupiter.api.Test;

import java.util.ArrayList;
import java.util.List;
import java.util.Map;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * {@code GET /health} while a peer is SIGSTOPped and not yet declared dead: the survivor's partition-safety check
 * waits on the frozen member, so it must not wait on an event loop. Two nodes (HTTP only), failure detection long
 * enough that the frozen node stays a member for the whole test.
 */
class HealthDuringPauseIT {

  /** The longest /health may take: its checks' timeouts (README, Health), plus slack for a loaded machine. */
  private static final long ANSWER_MS = 5_000;
  /** How long /health is asked, back to back, while the peer is frozen. */
  private static final long ASK_MS = 8_000;

  @Test
  void health_on_a_survivor_answers_in_time_and_blocks_no_event_loop_while_a_peer_is_frozen() throws Exception {
    try (ProcessCluster cluster = ProcessCluster.create(HealthDuringPauseIT.class, 2)) {
      cluster.env("STEWARD_MODULES", "http");
      // (set per node: the cluster's default of a few seconds would remove the frozen node during the test)
      Map<String, String> slowDetection = Map.of("STEWARD_CLUSTER_FAILURE_DETECTION_SECONDS", "60");
      NodeProcess survivor = cluster.add(slowDetection);
      cluster.awaitHealthy(survivor, 90_000);
      NodeProcess frozen = cluster.add(slowDetection);
      cluster.awaitHealthy(frozen, 90_000);
      cluster.await("the cluster is safe on " + survivor.name(), 60_000,
        () -> Boolean.TRUE.equals(clusterData(survivor.get("/health")).getValue("safe")));

      frozen.pause();
      List<String> answers = new ArrayList<>();
      try {
        long start = System.currentTimeMillis();
        while (System.currentTimeMillis() - start < ASK_MS) {
          long asked = System.currentTimeMillis();
          NodeProcess.Response r = survivor.get("/health");
          long tookMs = System.currentTimeMillis() - asked;
          answers.add(r.status() + " in " + tookMs + " ms: " + r.body());
          assertThat(tookMs).as("/health on the survivor while its peer is frozen; answers so far: %s", answers)
            .isLessThan(ANSWER_MS);
          assertThat(r.status()).as("answers so far: %s", answers).isEqualTo(200);
        }
      } finally {
        frozen.resume();
      }
      // The check waited on the frozen member: the answer says safety is unknown, and why, rather than guess.
      JsonObject last = clusterData(survivor.get("/health"));
      assertThat(answers).as("answers while the peer was frozen")
        .anyMatch(a -> a.contains("\"safe\":null") && a.contains("safeReason"));
      assertThat(last.getInteger("members")).isEqualTo(2);
      cluster.await("the cluster is safe again on " + survivor.name() + " once its peer runs", 60_000,
        () -> Boolean.TRUE.equals(clusterData(survivor.get("/health")).getValue("safe")));
      assertThat(survivor.blockedThreadWarnings())
        .as("blocked-thread warnings of %d ms or more on the survivor", BlockedThreads.PROCESS_FAIL_MS)
        .noneMatch(l -> BlockedThreads.blockedMs(l) >= BlockedThreads.PROCESS_FAIL_MS);
    }
  }

  /** The {@code cluster} check's data in a /health answer (empty when there is none). */
  private static JsonObject clusterData(NodeProcess.Response r) {
    if (r.status() != 200 && r.status() != 503) {
      return new JsonObject();
    }
    for (Object o : r.json().getJsonArray("checks", new io.vertx.core.json.JsonArray())) {
      JsonObject check = (JsonObject) o;
      if ("cluster".equals(check.getString("id"))) {
        return check.getJsonObject("data", new JsonObject());
      }
    }
    return new JsonObject();
  }
}
