package io.steward.tasks;

import io.steward.testing.NodeProcess;
import io.steward.testing.ProcessCluster;
import io.vertx.core.json.JsonObject;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.condition.EnabledIfSystemProperty;

import java.util.Map;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * A durable delayed task submitted on a node that is SIGKILLed before its time fires once, on the survivor, at its
 * time: not at once when it is taken over, not at the next sweep. Two real processes of the fat jar, observed from
 * outside over HTTP only. Behind a flag (two JVM starts take longer than a default-build test may):
 * {@code mvn -B -o failsafe:integration-test failsafe:verify -Dit.test=DelayedTaskKillIT -Ddelayed=true}
 * (after {@code mvn -B -o -q -DskipTests package}).
 */
@EnabledIfSystemProperty(named = "delayed", matches = "true")
class DelayedTaskKillIT {

  /** Long enough for the SIGKILL, failure detection and the takeover on a loaded machine. */
  private static final long DELAY_MS = 30_000;

  @Test
  void a_durable_delayed_task_of_a_killed_node_fires_once_on_the_survivor_at_its_time() throws Exception {
    try (ProcessCluster cluster = ProcessCluster.create(DelayedTaskKillIT.class, 2)) {
      // A long sweep interval: a takeover that waited for a sweep, or a fire at a sweep, would show.
      cluster.env("STEWARD_MODULES", "http,tasks").env("STEWARD_TASKS_ORPHAN_SWEEP_MS", "60000");
      NodeProcess victim = cluster.add(Map.of());
      cluster.awaitHealthy(victim, 90_000);
      NodeProcess survivor = cluster.add(Map.of());
      cluster.awaitHealthy(survivor, 90_000);
      cluster.awaitNodeCount(survivor, 2, 90_000);

      NodeProcess.Response res = victim.post("/tasks", new JsonObject().put("type", "echo").put("payload", "later")
        .put("restart", "transient").put("delayMs", DELAY_MS).encode());
      assertThat(res.status()).as(res.body()).isEqualTo(202);
      String id = res.json().getString("id");
      JsonObject scheduled = victim.get("/tasks/" + id).json();
      assertThat(scheduled.getString("state")).isEqualTo("scheduled");
      long runAt = scheduled.getLong("runAt");
      String victimNode = scheduled.getString("node");

      victim.kill();
      cluster.await("the survivor took the task over, still scheduled", DELAY_MS, () -> {
        JsonObject t = survivor.get("/tasks/" + id).json();
        return !victimNode.equals(t.getString("node")) && "scheduled".equals(t.getString("state"));
      });
      assertThat(System.currentTimeMillis()).as("taken over before its time (else the test proves nothing)").isLessThan(runAt);
      assertThat(survivor.get("/tasks/" + id).json().getLong("runAt")).isEqualTo(runAt);

      cluster.await("the task ended on the survivor", DELAY_MS + 60_000,
        () -> "succeeded".equals(survivor.get("/tasks/" + id).json().getString("state")));
      JsonObject done = survivor.get("/tasks/" + id).json();
      assertThat(done.getInteger("attempts")).as("it ran once").isEqualTo(1);
      assertThat(done.getInteger("takeovers")).isEqualTo(1);
      assertThat(done.containsKey("possibleDuplicate")).isFalse();
      assertThat(done.getString("result")).isEqualTo("later");
      long startedAt = done.getLong("startedAt");
      assertThat(startedAt).as("not before its time").isGreaterThanOrEqualTo(runAt);
      // Within the scheduler's precision, with room for a loaded machine; far less than a sweep (60 s).
      assertThat(startedAt - runAt).as("lateness on the survivor").isLessThan(2_000);
    }
  }
}
