package io.steward.reliability;

import io.steward.testing.NodeProcess;
import io.steward.testing.ProcessCluster;
import io.vertx.core.json.JsonObject;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.condition.EnabledIfSystemProperty;

import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * Campaign seeds 2336 and 2374, as a scenario: three nodes, {@code cluster.minimumSize} 2, a cache without backups
 * ({@code backupCount} 0, so that one member away takes every copy of its keys: the seeds lost two copies to a split
 * with the default of one backup); one node is stalled (SIGSTOP) past failure detection, so the two others keep the
 * minimum and lose every copy of the partitions it owned (the WARN {@code Partitions lost}), while the stalled node
 * still holds those entries. Before the fix the two wrote such a key again from nothing (an increment answered 200
 * with value 1), and that fresh copy won the merge over the stalled node's, which held the increment acknowledged
 * before: acknowledged writes were lost. (Stalling two of five nodes at once, as seed 2374's split did, made the
 * master stop heartbeating for 9 s here, and the three fell apart: a scenario about Hazelcast, not this.) Required,
 * observed over HTTP only: while the node is away, every increment of a key in a lost partition is refused (503) and
 * every other one is answered 200; once the pair has merged back, well before {@code cache.lostPartitionHoldSeconds}
 * (600 s here), the refused increments are taken again (the merge released them) and every counter holds exactly its
 * two increments. With the hold set to 0 (the old behaviour) it fails: the counters the two wrote from nothing read
 * 1 after the merge. About 60 s; behind {@code -Dsplitbrain=true} (the in-JVM {@code LostPartitionHoldTest} checks
 * the refusal and the hold's end in every build, and long campaigns judge the merge with the {@code cache-increments}
 * checker).
 */
class LostPartitionsIT {

  private static final int COUNTERS = 100;

  @Test
  @EnabledIfSystemProperty(named = "splitbrain", matches = "true")
  void keys_whose_every_copy_a_side_lost_are_refused_there_until_the_merge_brings_them_back() throws Exception {
    String hold = System.getProperty("lostPartitions.holdSeconds", "600");
    try (ProcessCluster cluster = ProcessCluster.create(LostPartitionsIT.class, 3)) {
      cluster.env("STEWARD_MODULES", "http,cache")
        .env("STEWARD_CLUSTER_MINIMUM_SIZE", "2")
        .env("STEWARD_CACHE_LOST_PARTITION_HOLD_SECONDS", hold)
        .env("STEWARD_CACHE_CACHES", "{\"counters\": {\"backupCount\": 0}}");
      List<NodeProcess> nodes = cluster.start(3);
      NodeProcess serving = nodes.get(0);
      cluster.await("the cluster is safe", 60_000, () -> serving.clusterSafe());
      for (int i = 0; i < COUNTERS; i++) {
        NodeProcess.Response r = increment(serving, i, "first-" + i);
        assertThat(r.status()).as(r.body()).isEqualTo(200);
      }

      List<NodeProcess> stalled = nodes.subList(2, 3);
      Map<Integer, Integer> codes = new TreeMap<>();
      List<Integer> refused = new ArrayList<>();
      List<String> unclear = new ArrayList<>();
      long pausedAt = System.currentTimeMillis();
      for (NodeProcess n : stalled) {
        n.pause();
      }
      try {
        for (NodeProcess n : nodes.subList(0, 2)) {
          cluster.awaitNodeCount(n, 2, 60_000);
        }
        // The hold's WARN (with the hold at 0 there is none: the repaired partition table is enough).
        cluster.await("the two see the loss", 30_000, () -> serving.clusterSafe()
          && (hold.equals("0") || serving.logText().contains("Cache writes refused for the keys")));
        for (int i = 0; i < COUNTERS; i++) {
          NodeProcess.Response r = increment(serving, i, "second-" + i);
          codes.merge(r.status(), 1, Integer::sum);
          if (r.status() == 503) {
            refused.add(i);
          } else if (r.status() != 200) {
            unclear.add("c" + i + ": " + r.status() + " " + r.body());
          }
        }
      } finally {
        for (NodeProcess n : stalled) {
          n.resume();
        }
      }
      long pausedMs = System.currentTimeMillis() - pausedAt;

      cluster.await("every node lists 3 nodes after the merge", 180_000,
        () -> nodes.stream().allMatch(n -> n.nodeCount() == 3));
      cluster.await("the cluster is safe after the merge", 60_000, () -> serving.clusterSafe());
      // The refused increments, sent again with their opIds: taken once the merge has brought the copies back.
      List<String> unsettled = new ArrayList<>();
      for (int i : refused) {
        int counter = i;
        try {
          cluster.await("c" + i + " taken again after the merge", 60_000,
            () -> increment(serving, counter, "second-" + counter).status() == 200);
        } catch (Exception e) {
          NodeProcess.Response r = increment(serving, i, "second-" + i);
          unsettled.add("c" + i + ": " + r.status() + " " + r.body());
        }
      }
      List<String> wrong = new ArrayList<>();
      for (int i = 0; i < COUNTERS; i++) {
        NodeProcess.Response r = serving.get("/caches/counters/c" + i);
        Object value = r.status() == 200 ? r.json().getValue("value") : "HTTP " + r.status();
        if (!Integer.valueOf(2).equals(value)) {
          wrong.add("c" + i + " = " + value);
        }
      }

      Verdict v = Verdict.of("increments of keys whose every copy the side with the minimum lost (3 nodes, 1 stalled)")
        .figure("cache.lostPartitionHoldSeconds", hold)
        .figure("paused ms", pausedMs)
        .figure("answers by status while the node was away", codes)
        .figure("counters not at exactly 2 after the merge", wrong.size() + " of " + COUNTERS);
      v.check(!refused.isEmpty() || !hold.equals("600"),
          "no increment was refused: no partition lost every copy, the scenario did not happen")
        .check(unclear.isEmpty(), "answers that are neither 200 nor 503: " + unclear)
        .check(unsettled.isEmpty(), "refused increments not taken after the merge: " + unsettled)
        .check(wrong.isEmpty(), "counters that lost an acknowledged increment or counted one twice: " + wrong);
      assertThat(v.report()).as("verdict").isEmpty();
    }
  }

  private static NodeProcess.Response increment(NodeProcess node, int counter, String opId) {
    return node.post("/caches/counters/c" + counter + "/update",
      new JsonObject().put("increment", 1).put("opId", opId).put("timeoutMs", 3_000).encode());
  }
}
