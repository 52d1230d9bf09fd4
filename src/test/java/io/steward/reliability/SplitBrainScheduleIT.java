package io.steward.reliability;

import io.steward.testing.BridgeFires;
import io.steward.testing.NodeProcess;
import io.steward.testing.ProcessCluster;
import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.condition.EnabledIfSystemProperty;

import java.net.URI;
import java.net.http.HttpRequest;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeMap;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * Scenario 8 of the reliability suite (issue 15): a split brain with equal halves, made by SIGSTOP. Half the nodes
 * are paused past failure detection (so the others remove them and take their jobs over); while they are paused,
 * some jobs are deleted on a survivor; then they are resumed and Hazelcast merges the halves, in a direction fixed
 * by the members' addresses (so the scenarios pause each half in turn). Every fire is counted from outside the
 * cluster, through each node's TCP bridge ({@link BridgeFires}). Expected (docs/schedule.md): no tick fired
 * twice, no deleted job fires again, and the deleted jobs are gone from every node, with the default settings.
 *
 * <p>All four run with {@code -Dsplitbrain=true} (about 1.5 min each), not in the default build: the fault
 * campaign's checkers hold their assertions for every pause past failure detection it injects ({@code
 * no-tick-fired-twice}; {@code deleted-jobs}: no deleted job fires after the merge or is listed by any node after
 * it), on two to five nodes, in long campaigns (docs/campaign.md).
 */
class SplitBrainScheduleIT {

  private static final String ADDRESS = "test.splitbrain.fires";
  private static final long PERIOD_MS = 500;
  /**
   * A node may fire a tick due just after a delete was acknowledged, before the delete reaches its copy of the jobs
   * (an entry event); ticks scheduled this long after the delete must not fire.
   */
  private static final long IN_FLIGHT_MS = 2_000;
  /** Failure detection of the four-node cases: four JVMs on two loaded cores miss 4 s of heartbeats now and then. */
  private static final int FOUR_NODE_DETECTION_SECONDS = 8;

  @Test
  @EnabledIfSystemProperty(named = "splitbrain", matches = "true")
  void two_nodes_with_the_second_paused_fire_no_tick_twice_and_no_deleted_job_after_the_merge() throws Exception {
    scenario(2, Set.of(1));
  }

  @Test
  @EnabledIfSystemProperty(named = "splitbrain", matches = "true")
  void two_nodes_with_the_first_paused_fire_no_tick_twice_and_no_deleted_job_after_the_merge() throws Exception {
    scenario(2, Set.of(0));
  }

  @Test
  @EnabledIfSystemProperty(named = "splitbrain", matches = "true")
  void four_nodes_with_the_last_two_paused_together_fire_no_tick_twice_and_no_deleted_job() throws Exception {
    scenario(4, Set.of(2, 3));
  }

  @Test
  @EnabledIfSystemProperty(named = "splitbrain", matches = "true")
  void four_nodes_with_the_first_two_paused_together_fire_no_tick_twice_and_no_deleted_job() throws Exception {
    scenario(4, Set.of(0, 1));
  }

  private static void scenario(int size, Set<Integer> pausedIndexes) throws Exception {
    String scenario = "split-brain (" + size + " nodes, node(s) " + pausedIndexes.stream().map(i -> i + 1).sorted().toList()
      + " paused)";
    try (ProcessCluster cluster = ProcessCluster.create(SplitBrainScheduleIT.class, size)) {
      cluster.env("STEWARD_MODULES", "http,schedule,bridge")
        .env("STEWARD_BRIDGE_PORT", "0")
        .env("STEWARD_BRIDGE_OUTBOUND", new JsonArray().add(ADDRESS).encode())
        // The jobs are put over HTTP and publish to the test's address: HTTP permits only the targets it is told of.
        .env("STEWARD_HTTP_TARGETS", new JsonArray().add(ADDRESS).encode());
      List<NodeProcess> nodes = new ArrayList<>();
      for (int i = 0; i < size; i++) {
        nodes.add(cluster.add(size > 2
          ? Map.of("STEWARD_CLUSTER_FAILURE_DETECTION_SECONDS", Integer.toString(FOUR_NODE_DETECTION_SECONDS)) : Map.of()));
      }
      for (NodeProcess n : nodes) {
        cluster.awaitHealthy(n, 120_000);
      }
      for (NodeProcess n : nodes) {
        cluster.awaitNodeCount(n, size, 90_000);
      }
      long detectionMs = (size > 2 ? FOUR_NODE_DETECTION_SECONDS : ProcessCluster.FAILURE_DETECTION_SECONDS) * 1_000L;
      java.util.Set<String> survivorIds = new java.util.HashSet<>();
      for (int i = 0; i < size; i++) {
        if (!pausedIndexes.contains(i)) {
          survivorIds.add(nodeId(nodes.get(i)));
        }
      }
      List<NodeProcess> paused = new ArrayList<>();
      List<NodeProcess> survivors = new ArrayList<>();
      for (int i = 0; i < size; i++) {
        (pausedIndexes.contains(i) ? paused : survivors).add(nodes.get(i));
      }
      List<String> kept = List.of("kept-a", "kept-b", "kept-c", "kept-d");
      List<String> doomed = List.of("doomed-a", "doomed-b", "doomed-c", "doomed-d");
      try (BridgeFires fires = BridgeFires.listen(nodes, ADDRESS)) {
        for (String job : concat(kept, doomed)) {
          put(nodes.get(0), job);
        }
        for (String job : concat(kept, doomed)) {
          cluster.await("3 fires of " + job, 60_000, () -> fires.firesAfter(job, 0) >= 3);
        }

        long pausedAt = System.currentTimeMillis();
        for (NodeProcess n : paused) {
          n.pause();
        }
        long deletedAt;
        Map<String, Long> deletedAtOf = new java.util.HashMap<>();
        try {
          // Past failure detection the survivors own every job: each fires from a survivor.
          for (String job : concat(kept, doomed)) {
            cluster.await("a survivor fires " + job + " after failure detection", 120_000,
              () -> fires.firedByAfter(job, survivorIds, pausedAt + detectionMs));
          }
          for (String job : doomed) {
            delete(cluster, survivors.get(0), job);
            deletedAtOf.put(job, System.currentTimeMillis());
          }
          deletedAt = System.currentTimeMillis();
          for (String job : kept) {
            cluster.await("the survivors fire " + job + " after the deletes", 60_000,
              () -> fires.firesAfter(job, deletedAt) >= 3);
          }
        } finally {
          for (NodeProcess n : paused) {
            n.resume();
          }
        }
        long resumedAt = System.currentTimeMillis();
        for (NodeProcess n : nodes) {
          cluster.awaitNodeCount(n, size, 180_000);
        }
        long mergedAt = System.currentTimeMillis();
        // Eight seconds of ticks after the merge, whichever node fires them.
        for (String job : kept) {
          try {
            cluster.await("16 fires of " + job + " after the merge", 120_000, () -> fires.firesAfter(job, mergedAt) >= 16);
          } catch (java.util.concurrent.TimeoutException e) {
            StringBuilder why = new StringBuilder("fewer than 16 fires of " + job + " after the merge; fires after it:");
            for (String k : kept) {
              why.append(' ').append(k).append('=').append(fires.firesAfter(k, mergedAt));
            }
            for (NodeProcess n : nodes) {
              why.append("; ").append(n.name()).append(" GET /schedules/").append(job).append(": ")
                .append(abbreviate(n.get("/schedules/" + job).body()));
            }
            throw new AssertionError(why.toString(), e);
          }
        }

        Map<String, Map<Long, List<String>>> doubled = new TreeMap<>();
        for (String job : kept) {
          if (!fires.doubled(job).isEmpty()) {
            doubled.put(job, fires.doubled(job));
          }
        }
        Map<String, List<String>> back = new TreeMap<>();
        for (String job : doomed) {
          List<String> after = fires.ticksAfter(job, deletedAtOf.get(job) + IN_FLIGHT_MS);
          if (!after.isEmpty()) {
            back.put(job, after);
          }
        }
        List<String> listed = new ArrayList<>();
        for (NodeProcess n : nodes) {
          for (String job : doomed) {
            if (n.get("/schedules/" + job).status() != 404) {
              listed.add(job + " on " + n.name());
            }
          }
        }
        int doubledTicks = doubled.values().stream().mapToInt(Map::size).sum();
        Verdict v = Verdict.of(scenario)
          .figure("period ms", PERIOD_MS)
          .figure("paused ms", resumedAt - pausedAt)
          .figure("merged ms after SIGCONT", mergedAt - resumedAt)
          .figure("ticks fired (kept jobs)", kept.stream().mapToLong(fires::ticks).sum())
          .figure("ticks doubled", doubledTicks)
          .figure("ticks of deleted jobs fired after the delete", back.values().stream().mapToInt(List::size).sum())
          .check(doubled.isEmpty(), "ticks fired twice: " + abbreviate(doubled.toString()))
          .check(back.isEmpty(), "deleted jobs fired again: " + abbreviate(back.toString()))
          .check(listed.isEmpty(), "deleted jobs are back: " + listed);
        assertThat(v.report()).as("failed checks of the verdict (line above)").isEmpty();
      }
    }
  }

  /** The Vert.x node id of a node, from its /nodes (asked while every node is up). */
  private static String nodeId(NodeProcess node) {
    for (Object o : node.get("/nodes").json().getJsonArray("nodes")) {
      JsonObject n = (JsonObject) o;
      if (n.getString("name").equals(node.name())) {
        return n.getString("id");
      }
    }
    throw new IllegalStateException(node.name() + " is not in its own /nodes");
  }

  private static List<String> concat(List<String> a, List<String> b) {
    List<String> out = new ArrayList<>(a);
    out.addAll(b);
    return out;
  }

  private static String abbreviate(String s) {
    return s.length() <= 600 ? s : s.substring(0, 600) + "…";
  }

  private static void put(NodeProcess node, String job) {
    JsonObject spec = new JsonObject().put("every", PERIOD_MS + "ms").put("runOn", "cluster-once")
      .put("action", new JsonObject().put("type", "publish").put("address", ADDRESS));
    NodeProcess.Response r = node.put("/schedules/" + job, spec.encode());
    if (r.status() != 200) {
      throw new AssertionError("PUT /schedules/" + job + " answered " + r.status() + ": " + r.body());
    }
  }

  /**
   * Deletes a job on {@code node}, asking again while the answer is a timeout or unavailable (the node's event bus
   * may still route the request to a paused node); a 404 after such a try means an earlier one was applied.
   */
  private static void delete(ProcessCluster cluster, NodeProcess node, String job) throws Exception {
    int[] tries = {0};
    cluster.await("DELETE /schedules/" + job + " answered", 90_000, () -> {
      tries[0]++;
      NodeProcess.Response r = node.send(HttpRequest.newBuilder(URI.create(node.url() + "/schedules/" + job)).DELETE());
      if (r.status() / 100 == 2 || (r.status() == 404 && tries[0] > 1)) {
        return true;
      }
      if (r.status() == 404 || r.status() == 400) {
        throw new AssertionError("DELETE /schedules/" + job + " answered " + r.status() + ": " + r.body());
      }
      return false;
    });
  }
}
