package io.steward.fanout;

import io.steward.bus.Addresses;
import io.steward.testing.NodeProcess;
import io.steward.testing.ProcessCluster;
import io.vertx.core.Future;
import io.vertx.core.Vertx;
import io.vertx.core.eventbus.DeliveryOptions;
import io.vertx.core.json.JsonObject;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

import java.util.Map;
import java.util.concurrent.TimeUnit;
import java.util.regex.Pattern;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * A gather over three fat-jar nodes in their own JVMs, one of which dies for real (SIGKILL) while the gather
 * waits for it. {@code node1} runs fanout; {@code node3} is a lite member (it holds no data, so freezing it
 * does not block reads of the node registry) that is frozen with SIGSTOP before the gather, so it cannot
 * answer, and killed once the gather is waiting for it alone.
 */
class FanoutGatherIT {

  private static final Pattern ONE_GATHER_REQUEST_IN_FLIGHT =
    Pattern.compile("(?m)^steward_fanout_in_flight\\{[^}]*kind=\"gather\"[^}]*} 1(\\.0)?$");

  private static ProcessCluster cluster;
  private static NodeProcess gatherer;
  private static NodeProcess plain;
  private static NodeProcess victim;

  @BeforeAll
  static void start() throws Exception {
    cluster = ProcessCluster.create(FanoutGatherIT.class, 3);
    gatherer = cluster.add(Map.of("STEWARD_MODULES", "http,fanout"));
    cluster.awaitHealthy(gatherer, 90_000);
    plain = cluster.add(Map.of("STEWARD_MODULES", "http"));
    cluster.awaitHealthy(plain, 90_000);
    victim = cluster.add(Map.of("STEWARD_MODULES", "http", "STEWARD_CLUSTER_LITE_MEMBER", "true"));
    cluster.awaitHealthy(victim, 90_000);
    cluster.awaitNodeCount(gatherer, 3, 30_000);
  }

  @AfterAll
  static void stop() throws Exception {
    cluster.close();
  }

  @Test
  void a_node_killed_mid_gather_is_reported_as_left_and_not_waited_for() throws Exception {
    Vertx client = cluster.joinLiteClient();
    JsonObject before = (JsonObject) client.eventBus().request(Addresses.Fanout.GATHER,
      new JsonObject().put("verb", Addresses.Nodes.INFO).put("timeoutMs", 10_000)).await(30, TimeUnit.SECONDS).body();
    assertThat(before.getJsonObject("counts").getInteger("ok")).isEqualTo(3);

    victim.pause();
    long timeoutMs = 60_000;
    long t0 = System.nanoTime();
    Future<Object> gather = client.eventBus().request(Addresses.Fanout.GATHER,
        new JsonObject().put("verb", Addresses.Nodes.INFO).put("timeoutMs", timeoutMs),
        new DeliveryOptions().setSendTimeout(timeoutMs + 20_000))
      .map(m -> m.body());
    cluster.await("the gather waits only for the frozen node", 30_000,
      () -> ONE_GATHER_REQUEST_IN_FLIGHT.matcher(gatherer.get("/metrics").body()).find());
    victim.kill();

    JsonObject reply = (JsonObject) gather.await(timeoutMs + 20_000, TimeUnit.MILLISECONDS);
    long tookMs = TimeUnit.NANOSECONDS.toMillis(System.nanoTime() - t0);
    assertThat(reply.getJsonArray("nodes").stream().map(n -> ((JsonObject) n).getString("name")))
      .containsExactly("node1", "node2", "node3");
    assertThat(reply.getJsonArray("nodes").stream().map(n -> ((JsonObject) n).getString("status")))
      .as("reply %s; logs %s", reply, cluster.logs(20)).containsExactly("ok", "ok", "left");
    assertThat(reply.getJsonArray("nodes").getJsonObject(2).getJsonObject("error").getInteger("code")).isEqualTo(504);
    assertThat(tookMs).as("reported when the node died, not after the %d ms timeout", timeoutMs).isLessThan(timeoutMs / 2);

    JsonObject after = (JsonObject) client.eventBus().request(Addresses.Fanout.GATHER,
      new JsonObject().put("verb", Addresses.Nodes.INFO).put("timeoutMs", 10_000)).await(30, TimeUnit.SECONDS).body();
    assertThat(after.getJsonObject("counts").getInteger("total")).isEqualTo(2);
    assertThat(after.getJsonObject("counts").getInteger("ok")).isEqualTo(2);
  }
}
