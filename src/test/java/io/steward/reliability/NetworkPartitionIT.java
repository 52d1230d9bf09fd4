package io.steward.reliability;

import io.steward.testing.NodeProcess;
import io.steward.testing.ProcessCluster;
import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import org.junit.jupiter.api.condition.EnabledIfSystemProperty;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

import java.time.Instant;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeSet;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * Scenario 7 of the reliability suite (issue 9, stretch): a real network partition. Behind {@code -Dpartition=true}
 * (it needs root; about two minutes per run).
 *
 * <p>Three nodes ({@code http,schedule,cache}) each in a network namespace of its own, joined by a bridge
 * ({@link Netns}); Hazelcast and the event bus bind the namespace's address, the test JVM talks HTTP to the nodes
 * over the bridge. A {@code cluster-once} job fires every {@value #PERIOD_MS} ms. The node firing it is cut off (its
 * veth set down) for {@value #PARTITION_MS} ms, and cache entries are written on both sides (the same key on both,
 * and a key on each), then the link comes back up. Measured: which ticks each side fired during the partition
 * (from each side's own job history, the cut-off node's read from inside its namespace), which cache values
 * survive Hazelcast's merge. Required: after the heal every node lists three nodes, the job still exists and
 * fires once per tick, every entry written before the cut is readable everywhere; with {@code cluster.minimumSize}
 * = 2 (split-brain protection), no tick is fired by both sides.
 */
@EnabledIfSystemProperty(named = "partition", matches = "true")
class NetworkPartitionIT {

  private static final long PERIOD_MS = 500;
  private static final long PARTITION_MS = 20_000;
  private static final String JOB = "partition-tick";

  @ParameterizedTest(name = "cluster.minimumSize {0}")
  @ValueSource(ints = {0, 2})
  void after_a_partition_heals_the_cluster_is_whole_and_the_job_fires_once_per_tick(int minimumSize) throws Exception {
    try (Netns net = Netns.create(3); ProcessCluster cluster = ProcessCluster.create(NetworkPartitionIT.class, 3)) {
      cluster.env("STEWARD_MODULES", "http,schedule,cache")
        .env("STEWARD_HTTP_TARGETS", "[\"test.partition.ticks\"]")
        .env("STEWARD_CACHE_CACHES", "{\"data\": {}}")
        .env("STEWARD_SCHEDULE_HISTORY_SIZE", "1000")
        .env("STEWARD_SCHEDULE_HISTORY_FLUSH_MS", "200")
        .env("STEWARD_CLUSTER_MINIMUM_SIZE", Integer.toString(minimumSize));
      List<NodeProcess> nodes = net.startNodes(cluster);
      Map<String, Integer> indexById = Netns.indexById(nodes.get(0));

      expect(nodes.get(0).put("/caches/data/before", new JsonObject().put("value", "v0").encode()), 204, "PUT before");
      JsonObject spec = new JsonObject().put("every", PERIOD_MS + "ms")
        .put("action", new JsonObject().put("type", "send").put("address", "test.partition.ticks").put("reply", false));
      expect(nodes.get(0).put("/schedules/" + JOB, spec.encode()), 200, "PUT job");
      cluster.await("the job fired 3 times", 60_000, () -> fired(history(nodes.get(0))).size() >= 3);

      // Cut off the node that fires the job: the others take it over, and it carries on by itself.
      String minorityId = latestNode(history(nodes.get(0)));
      int m = indexById.get(minorityId);
      NodeProcess minority = nodes.get(m);
      List<NodeProcess> majority = nodes.stream().filter(n -> n != minority).toList();
      long cutAt = System.currentTimeMillis();
      net.cut(m);
      cluster.await("the majority lists 2 nodes", 90_000, () -> majority.stream().allMatch(n -> count(n) == 2));
      long detectedMs = System.currentTimeMillis() - cutAt;
      cluster.await("the majority fires the job", 90_000, () -> fired(history(majority.get(0))).stream()
        .anyMatch(r -> r.at > cutAt && !r.node.equals(minorityId)));
      long takenOverMs = System.currentTimeMillis() - cutAt;

      // Writes on both sides: the same key (majority first, minority later), and a key on each side.
      int majorityPut = majority.get(0).put("/caches/data/both", new JsonObject().put("value", "majority").encode()).status();
      int majorityOnlyPut = majority.get(0).put("/caches/data/majorityOnly", new JsonObject().put("value", 1).encode()).status();
      int minorityPut = net.curl(m, "PUT", minority.url() + "/caches/data/both", new JsonObject().put("value", "minority").encode()).status();
      int minorityOnlyPut = net.curl(m, "PUT", minority.url() + "/caches/data/minorityOnly", new JsonObject().put("value", 1).encode()).status();
      Netns.Http minorityNodes = net.curl(m, "GET", minority.url() + "/nodes", null);

      cluster.await("the partition has lasted " + PARTITION_MS + " ms", PARTITION_MS + 30_000,
        () -> System.currentTimeMillis() >= cutAt + PARTITION_MS);
      // Each side's own record of the ticks it fired while cut apart.
      Netns.Http minorityHistory = net.curl(m, "GET", minority.url() + "/schedules/" + JOB + "/history", null);
      List<Run> minorityRuns = minorityHistory.status() == 200 ? fired(new JsonObject(minorityHistory.body())) : List.of();
      List<Run> majorityRuns = fired(history(majority.get(0)));
      long healAt = System.currentTimeMillis();
      TreeSet<Long> byMinority = ticks(minorityRuns, cutAt, healAt, id -> id.equals(minorityId));
      TreeSet<Long> byMajority = ticks(majorityRuns, cutAt, healAt, id -> !id.equals(minorityId));
      Set<Long> bothSides = new TreeSet<>(byMinority);
      bothSides.retainAll(byMajority);
      net.heal(m);

      // Recovery: one cluster again (Hazelcast's split-brain merge, every 10 s), the job once per tick.
      cluster.await("every node lists 3 nodes after the heal", 180_000, () -> nodes.stream().allMatch(n -> count(n) == 3));
      long mergedMs = System.currentTimeMillis() - healAt;
      long settled = System.currentTimeMillis() + 3_000;
      cluster.await("10 s of fires after the merge", 120_000, () -> fired(history(nodes.get(0))).stream()
        .filter(r -> r.at > settled).count() >= 20);
      List<Run> after = fired(history(nodes.get(0))).stream().filter(r -> r.at > settled).toList();
      long afterDoubled = after.size() - after.stream().map(r -> r.at).distinct().count();

      Map<String, String> cache = new HashMap<>();
      boolean beforeEverywhere = true;
      for (NodeProcess n : nodes) {
        NodeProcess.Response r = n.get("/caches/data/before");
        beforeEverywhere &= r.status() == 200 && "v0".equals(r.json().getValue("value"));
      }
      for (String key : List.of("both", "majorityOnly", "minorityOnly")) {
        NodeProcess.Response r = nodes.get(0).get("/caches/data/" + key);
        cache.put(key, r.status() == 200 ? String.valueOf(r.json().getValue("value")) : "absent (" + r.status() + ")");
      }
      boolean jobEverywhere = nodes.stream().allMatch(n -> n.get("/schedules/" + JOB).status() == 200);

      Verdict v = Verdict.of("network-partition (cluster.minimumSize " + minimumSize + ")")
        .figure("partition ms", healAt - cutAt)
        .figure("majority /nodes lists 2 after ms", detectedMs)
        .figure("majority's first tick ms after the cut", byMajority.isEmpty() ? "none" : byMajority.first() - cutAt)
        .figure("seen firing after ms", takenOverMs)
        .figure("cut-off node lists", minorityNodes.status() == 200 ? new JsonObject(minorityNodes.body()).getInteger("count") : minorityNodes.status())
        .figure("ticks fired by the cut-off node", minorityHistory.status() == 200 ? byMinority.size() : "history answered " + minorityHistory.status())
        .figure("its last tick ms after the cut", byMinority.isEmpty() ? "none" : byMinority.last() - cutAt)
        .figure("by the majority", byMajority.size())
        .figure("ticks fired on both sides", bothSides.size())
        .figure("cache PUT status majority/minority", majorityPut + "/" + minorityPut)
        .figure("key-per-side PUT status majority/minority", majorityOnlyPut + "/" + minorityOnlyPut)
        .figure("after the merge: both", cache.get("both"))
        .figure("majorityOnly", cache.get("majorityOnly"))
        .figure("minorityOnly", cache.get("minorityOnly"))
        .figure("merged ms after the heal", mergedMs)
        .figure("fires after the merge", after.size())
        .figure("ticks doubled after the merge", afterDoubled);
      v.check(afterDoubled == 0, "ticks fired twice after the merge")
        .check(beforeEverywhere, "the entry written before the partition is not readable on every node")
        .check(jobEverywhere, "the job is missing on a node after the merge")
        .check(minimumSize < 2 || bothSides.isEmpty(), "split-brain protection on, yet " + bothSides.size()
          + " ticks fired on both sides")
        .check(cluster.nodes().stream().allMatch(n -> n.get("/health").status() == 200), "a node is not healthy");
      NodeLogs.check(v, nodes);
      assertThat(v.report()).as("failed checks of the verdict (line above)").isEmpty();
    }
  }

  private record Run(long at, String node) {
  }

  private static void expect(NodeProcess.Response r, int status, String what) {
    if (r.status() != status) {
      throw new AssertionError(what + " answered " + r.status() + ": " + r.body());
    }
  }

  private static int count(NodeProcess n) {
    NodeProcess.Response r = n.get("/nodes");
    return r.status() == 200 ? r.json().getInteger("count") : -1;
  }

  private static JsonObject history(NodeProcess n) {
    NodeProcess.Response r = n.get("/schedules/" + JOB + "/history");
    return r.status() == 200 ? r.json() : new JsonObject().put("runs", new JsonArray());
  }

  /** Runs that fired (not missed), newest first as the history lists them. */
  private static List<Run> fired(JsonObject history) {
    List<Run> out = new ArrayList<>();
    history.getJsonArray("runs").forEach(o -> {
      JsonObject run = (JsonObject) o;
      if (!run.getBoolean("missed")) {
        out.add(new Run(Instant.parse(run.getString("scheduledAt")).toEpochMilli(), run.getString("node")));
      }
    });
    return out;
  }

  private static String latestNode(JsonObject history) {
    return fired(history).stream().max((a, b) -> Long.compare(a.at, b.at)).orElseThrow().node;
  }

  private static TreeSet<Long> ticks(List<Run> runs, long from, long to, java.util.function.Predicate<String> node) {
    TreeSet<Long> out = new TreeSet<>();
    runs.stream().filter(r -> r.at > from && r.at <= to && node.test(r.node)).forEach(r -> out.add(r.at));
    return out;
  }
}
