package io.steward.reliability;

import io.steward.testing.NodeProcess;
import io.steward.testing.ProcessCluster;
import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.condition.EnabledIfSystemProperty;

import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeSet;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * The claim lease end to end (issue 16, campaign seeds 8378 and 111). Behind {@code -Dlease=true} (it needs root for
 * the network namespaces; about two minutes).
 *
 * <p>Three nodes ({@code http,schedule}) with {@code cluster.minimumSize} 2, each in a network namespace of its own
 * ({@link Netns}), failure detection {@value ProcessCluster#FAILURE_DETECTION_SECONDS} s. A {@code cluster-once}
 * job fires every {@value #PERIOD_MS} ms. The node firing it is cut off alone (its veth set down) for
 * {@value #PARTITION_MS} ms. Each side's own job history (the cut-off node's read from inside its namespace, over
 * HTTP) says which ticks it started and when. Required: every run the cut-off node started after the cut started
 * before the majority's first run after the cut (the cut-off node stopped claiming before the others took over),
 * within the lease of the cut (seen in its counters of won claims and runs, read from inside its namespace over
 * HTTP back to back: once below the minimum, its history is no longer readable); no tick on both sides; the cut-off node shows the lost lease (gauge 0, the WARN);
 * after the heal, one cluster again and the lease back (gauge 1).
 */
@EnabledIfSystemProperty(named = "lease", matches = "true")
class ClaimLeaseIT {

  private static final long PERIOD_MS = 200;
  private static final long PARTITION_MS = 14_000;
  private static final String JOB = "lease-tick";
  private static final String TARGET = "test.lease.ticks";
  private static final long SAMPLE_MS = 10_000;
  private static final Pattern CLAIMS_WON = Pattern.compile("(?m)^steward_schedule_claims_total\\{[^}]*result=\"won\"[^}]*\\} ([0-9.eE+]+)$");
  private static final Pattern RUNS_SUCCEEDED = Pattern.compile("(?m)^steward_schedule_runs_total\\{[^}]*outcome=\"succeeded\"[^}]*\\} ([0-9.eE+]+)$");
  private static final Pattern GAUGE = Pattern.compile("(?m)^steward_schedule_claim_lease(?:\\{[^}]*\\})? ([0-9.]+)$");

  @Test
  void a_node_cut_off_alone_stops_claiming_before_the_majority_takes_its_jobs_over() throws Exception {
    try (Netns net = Netns.create(3); ProcessCluster cluster = ProcessCluster.create(ClaimLeaseIT.class, 3)) {
      cluster.env("STEWARD_MODULES", "http,schedule")
        .env("STEWARD_HTTP_TARGETS", new JsonArray().add(TARGET).encode())
        .env("STEWARD_SCHEDULE_HISTORY_SIZE", "1000")
        .env("STEWARD_SCHEDULE_HISTORY_FLUSH_MS", "200")
        .env("STEWARD_CLUSTER_MINIMUM_SIZE", "2");
      List<NodeProcess> nodes = net.startNodes(cluster);
      Map<String, Integer> indexById = Netns.indexById(nodes.get(0));
      JsonObject spec = new JsonObject().put("every", PERIOD_MS + "ms")
        .put("action", new JsonObject().put("type", "send").put("address", TARGET).put("reply", false));
      NodeProcess.Response put = nodes.get(0).put("/schedules/" + JOB, spec.encode());
      assertThat(put.status()).as("PUT job: " + put.body()).isEqualTo(200);
      cluster.await("the job fired 5 times", 60_000, () -> runs(history(nodes.get(0))).size() >= 5);
      boolean allHeld = nodes.stream().allMatch(n -> Double.valueOf(1.0).equals(gauge(n.get("/metrics").body())));

      String minorityId = runs(history(nodes.get(0))).stream().max((a, b) -> Long.compare(a.tick, b.tick)).orElseThrow().node;
      int m = indexById.get(minorityId);
      NodeProcess minority = nodes.get(m);
      List<NodeProcess> majority = nodes.stream().filter(n -> n != minority).toList();
      long cutAt = System.currentTimeMillis();
      net.cut(m);
      // The cut-off node's own counters, read from inside its namespace back to back (each read takes tens of ms):
      // when did it last win a claim and start a run? Its history is not readable once it is below the minimum.
      long wonAt = cutAt;
      long startedAt = cutAt;
      double won = -1;
      double started = -1;
      int samples = 0;
      while (System.currentTimeMillis() < cutAt + SAMPLE_MS) {
        Netns.Http r = net.curl(m, "GET", minority.url() + "/metrics", null);
        long seen = System.currentTimeMillis();
        if (r.status() != 200) {
          continue;
        }
        samples++;
        double w = counter(r.body(), CLAIMS_WON);
        double s = counter(r.body(), RUNS_SUCCEEDED);
        if (won >= 0 && w > won) {
          wonAt = seen;
        }
        if (started >= 0 && s > started) {
          startedAt = seen;
        }
        won = w;
        started = s;
      }
      cluster.await("the majority fires the job", 90_000, () -> runs(history(majority.get(0))).stream()
        .anyMatch(r -> r.started > cutAt && !r.node.equals(minorityId)));
      cluster.await("the partition has lasted " + PARTITION_MS + " ms", PARTITION_MS + 30_000,
        () -> System.currentTimeMillis() >= cutAt + PARTITION_MS);

      Netns.Http minorityHistory = net.curl(m, "GET", minority.url() + "/schedules/" + JOB + "/history?limit=1000", null);
      Netns.Http minorityMetrics = net.curl(m, "GET", minority.url() + "/metrics", null);
      List<Run> byMinority = minorityHistory.status() == 200
        ? runs(new JsonObject(minorityHistory.body())).stream().filter(r -> r.node.equals(minorityId) && r.started > cutAt).toList()
        : List.of();
      List<Run> byMajority = runs(history(majority.get(0))).stream()
        .filter(r -> !r.node.equals(minorityId) && r.started > cutAt).toList();
      long minorityLast = Math.max(startedAt, byMinority.stream().mapToLong(r -> r.started).max().orElse(cutAt));
      long majorityFirst = byMajority.stream().mapToLong(r -> r.started).min().orElse(Long.MAX_VALUE);
      Set<Long> bothSides = new TreeSet<>();
      byMinority.forEach(r -> bothSides.add(r.tick));
      bothSides.retainAll(byMajority.stream().map(r -> r.tick).toList());
      boolean warned = minority.logText().contains("Schedule claim lease lost");

      net.heal(m);
      cluster.await("every node lists 3 nodes after the heal", 180_000, () -> nodes.stream().allMatch(n -> count(n) == 3));
      boolean regained;
      try {
        cluster.await("the lease is back on every node", 60_000,
          () -> nodes.stream().allMatch(n -> Double.valueOf(1.0).equals(gauge(n.get("/metrics").body()))));
        regained = true;
      } catch (Exception | AssertionError e) {
        regained = false;
      }

      Verdict v = Verdict.of("claim lease (cluster.minimumSize 2, one node cut off alone)")
        .figure("metrics reads of the cut-off node", samples)
        .figure("its last won claim answered ms after the cut (a claim answered after the lease is abandoned)", wonAt - cutAt)
        .figure("its last run seen ms after the cut", startedAt - cutAt)
        .figure("history of the cut-off node", minorityHistory.status())
        .figure("runs the cut-off node started after the cut", byMinority.size())
        .figure("its last start ms after the cut", minorityLast - cutAt)
        .figure("the majority's first start ms after the cut", majorityFirst == Long.MAX_VALUE ? "none" : majorityFirst - cutAt)
        .figure("ticks started on both sides", bothSides.size())
        .figure("cut-off node's claim lease gauge", minorityMetrics.status() == 200 ? (Object) gauge(minorityMetrics.body())
          : "metrics answered " + minorityMetrics.status());
      v.check(allHeld, "before the cut, not every node showed steward_schedule_claim_lease 1")
        .check(samples >= 10, "the cut-off node's metrics were read only " + samples + " time(s)")
        .check(startedAt < majorityFirst, "the cut-off node started a run (seen " + (startedAt - majorityFirst)
          + " ms) after the majority's first run: it claimed and fired after the others took over")
        .check(majorityFirst != Long.MAX_VALUE, "the majority never took the job over")
        .check(minorityLast < majorityFirst, "the cut-off node started a run " + (minorityLast - majorityFirst)
          + " ms after the majority's first: it claimed after the others took over")
        .check(minorityLast - cutAt <= 1_500 + 1_500, "the cut-off node started runs (seen) " + (minorityLast - cutAt)
          + " ms after the cut, beyond its lease (1500 ms), a second for the fire and half a second to see it")
        .check(bothSides.isEmpty(), bothSides.size() + " tick(s) started on both sides")
        .check(minorityMetrics.status() == 200 && Double.valueOf(0.0).equals(gauge(minorityMetrics.body())),
          "the cut-off node's steward_schedule_claim_lease is not 0")
        .check(regained, "after the heal, not every node shows steward_schedule_claim_lease 1")
        .check(warned, "the cut-off node did not log 'Schedule claim lease lost'")
        .check(cluster.nodes().stream().allMatch(n -> n.get("/health").status() == 200), "a node is not healthy");
      NodeLogs.check(v, nodes);
      assertThat(v.report()).as("failed checks of the verdict (line above)").isEmpty();
    }
  }

  private record Run(long tick, long started, String node) {
  }

  private static double counter(String metrics, Pattern p) {
    Matcher c = p.matcher(metrics);
    return c.find() ? Double.parseDouble(c.group(1)) : 0;
  }

  private static Double gauge(String metrics) {
    Matcher g = GAUGE.matcher(metrics == null ? "" : metrics);
    return g.find() ? Double.parseDouble(g.group(1)) : null;
  }

  private static int count(NodeProcess n) {
    NodeProcess.Response r = n.get("/nodes");
    return r.status() == 200 ? r.json().getInteger("count") : -1;
  }

  private static JsonObject history(NodeProcess n) {
    NodeProcess.Response r = n.get("/schedules/" + JOB + "/history?limit=1000");
    return r.status() == 200 ? r.json() : new JsonObject().put("runs", new JsonArray());
  }

  /** Runs that started (not missed). */
  private static List<Run> runs(JsonObject history) {
    List<Run> out = new ArrayList<>();
    history.getJsonArray("runs").forEach(o -> {
      JsonObject run = (JsonObject) o;
      if (!run.getBoolean("missed") && run.getString("startedAt") != null) {
        out.add(new Run(Instant.parse(run.getString("scheduledAt")).toEpochMilli(),
          Instant.parse(run.getString("startedAt")).toEpochMilli(), run.getString("node")));
      }
    });
    return out;
  }
}
