package io.steward.schedule;

import io.steward.testing.BridgeFires;
import io.steward.testing.BridgeFires.Fire;
import io.steward.testing.FreePorts;
import io.steward.testing.NodeProcess;
import io.steward.testing.ProcessCluster;
import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.condition.EnabledIfSystemProperty;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.HashMap;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.stream.IntStream;

import static org.assertj.core.api.Assertions.assertThat;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

/**
 * The clock fence when the master's clock is the wrong one (issue 15, item 11): three schedule nodes, the first
 * (the master) under libfaketime 10 s ahead, so both others are 10 s behind the cluster clock. Neither is the odd
 * one out, so nobody is fenced: every node fires cluster-once ticks, none twice, and all of them 10 s early against
 * real time (the cluster clock is only as right as the master's wall clock). Behind {@code -Dclockfence=true}
 * (three JVMs, about 90 s): {@code mvn -B -o failsafe:integration-test failsafe:verify -Dit.test=ClockFenceMasterIT
 * -Dclockfence=true}.
 */
@EnabledIfSystemProperty(named = "clockfence", matches = "true")
class ClockFenceMasterIT {

  private static final Path LIBFAKETIME = Path.of("/usr/lib/x86_64-linux-gnu/faketime/libfaketime.so.1");
  private static final String ADDRESS = "it.clockmaster.fires";
  private static final int JOBS = 8;
  private static final long SKEW_MS = 10_000;
  private static final String CLOCK_FENCE_RAISED = "Schedule fence raised: this node's wall clock";

  @Test
  void when_the_masters_clock_is_wrong_no_node_is_fenced_and_no_tick_fires_twice() throws Exception {
    assumeTrue(Files.isRegularFile(LIBFAKETIME), "libfaketime is not installed (apt-get install faketime)");
    try (ProcessCluster cluster = ProcessCluster.create(ClockFenceMasterIT.class, 4)
      .env("STEWARD_MODULES", "http,schedule,bridge")
      .env("STEWARD_BRIDGE_OUTBOUND", new JsonArray().add(ADDRESS).encode())
      .env("STEWARD_HTTP_TARGETS", new JsonArray().add(ADDRESS).encode())) {
      NodeProcess master = cluster.add(Map.of("STEWARD_BRIDGE_PORT", Integer.toString(FreePorts.one()),
        "LD_PRELOAD", LIBFAKETIME.toString(), "FAKETIME", "+" + SKEW_MS / 1_000 + "s"));
      cluster.awaitHealthy(master, 90_000);
      NodeProcess b = cluster.add(Map.of("STEWARD_BRIDGE_PORT", Integer.toString(FreePorts.one())));
      cluster.awaitHealthy(b, 90_000);
      NodeProcess c = cluster.add(Map.of("STEWARD_BRIDGE_PORT", Integer.toString(FreePorts.one())));
      cluster.awaitHealthy(c, 90_000);
      cluster.awaitNodeCount(master, 3, 60_000);

      try (BridgeFires fires = BridgeFires.listen(List.of(master), ADDRESS)) {
        for (int i = 0; i < JOBS; i++) {
          JsonObject job = new JsonObject().put("every", "500ms")
            .put("action", new JsonObject().put("type", "publish").put("address", ADDRESS));
          NodeProcess.Response put = b.put("/schedules/master-" + i, job.encode());
          assertThat(put.status()).as(put.body()).isEqualTo(200);
        }
        cluster.await("every job fired 20 times", 90_000, () -> IntStream.range(0, JOBS)
          .allMatch(i -> fires.all().stream().filter(a -> a.job().equals("master-" + i)).count() >= 20));

        Map<String, Set<String>> byTick = new HashMap<>();
        for (Fire a : fires.all()) {
          byTick.computeIfAbsent(a.job() + "@" + a.tick(), k -> new HashSet<>()).add(a.node());
        }
        assertThat(byTick.entrySet().stream().filter(e -> e.getValue().size() > 1).toList()).as("ticks fired twice").isEmpty();
        Set<String> firing = new HashSet<>();
        fires.all().forEach(a -> firing.add(a.node()));
        assertThat(firing).as("nodes that fired cluster-once ticks: nobody is fenced").hasSize(3);
        assertThat(fires.all()).as("every tick comes 10 s early against real time: the cluster clock is the master's")
          .allMatch(a -> a.receivedAt() < a.tick() - SKEW_MS + 3_000);

        JsonArray nodes = b.get("/nodes").json().getJsonArray("nodes");
        for (Object o : nodes) {
          JsonObject n = (JsonObject) o;
          assertThat(n.containsKey("scheduleFence")).as("/nodes: %s", nodes.encode()).isFalse();
          long offset = n.getLong("clockOffsetMs");
          if (n.getString("name").equals(master.name())) {
            assertThat(offset).as("the master's offset is zero by construction").isBetween(-1_000L, 1_000L);
          } else {
            assertThat(offset).as("/nodes: %s", nodes.encode()).isBetween(-SKEW_MS - 1_000, -SKEW_MS + 1_000);
          }
        }
        // The second node, while it was alone with the master, lost the tie (the master's clock wins it); the third
        // node, which joined a view where half the others were as far off as itself, was never fenced.
        assertThat(c.logText()).contains("behind the cluster clock").doesNotContain(CLOCK_FENCE_RAISED);
        if (b.logText().contains(CLOCK_FENCE_RAISED)) {
          assertThat(b.logText()).contains("Schedule clock fence lowered");
        }
      }
    }
  }
}
