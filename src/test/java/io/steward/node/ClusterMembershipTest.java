package io.steward.node;

import io.steward.bus.Addresses;
import io.steward.testing.TestCluster;
import io.vertx.core.Promise;
import io.vertx.core.eventbus.Message;
import io.vertx.core.eventbus.ReplyException;
import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

import java.util.List;
import java.util.concurrent.TimeUnit;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

/** Two clustered Vert.x instances in one JVM, from the project's cluster.xml with a unique cluster name. */
class ClusterMembershipTest {

  private static TestCluster cluster;
  private static StewardNode a;
  private static StewardNode b;

  @BeforeAll
  static void start() throws Exception {
    cluster = TestCluster.create(ClusterMembershipTest.class, 3);
    List<StewardNode> nodes = cluster.startBlocking(2, List.of("http"), null);
    a = nodes.get(0);
    b = nodes.get(1);
  }

  @AfterAll
  static void stop() throws Exception {
    cluster.close();
  }

  @Test
  void each_node_sees_both_in_the_registry() throws Exception {
    for (StewardNode from : List.of(a, b)) {
      JsonObject reply = (JsonObject) from.vertx().eventBus().request(Addresses.Nodes.LIST, new JsonObject())
        .await(10, TimeUnit.SECONDS).body();
      assertThat(reply.getInteger("count")).isEqualTo(2);
      JsonArray nodes = reply.getJsonArray("nodes");
      assertThat(nodes.stream().map(n -> ((JsonObject) n).getString("id"))).containsExactlyInAnyOrder(a.id(), b.id());
      JsonObject first = nodes.getJsonObject(0);
      assertThat(first.getJsonArray("modules")).containsExactly("http");
      assertThat(first.getString("startedAt")).isNotBlank();
      assertThat(first.getJsonObject("endpoints").getString("http")).startsWith("http://127.0.0.1:");
    }
  }

  @Test
  void each_node_answers_on_its_own_address_from_the_other_node() throws Exception {
    Message<Object> infoOfB = a.vertx().eventBus().request(Addresses.node(b.id(), Addresses.Nodes.INFO), new JsonObject())
      .await(10, TimeUnit.SECONDS);
    JsonObject info = (JsonObject) infoOfB.body();
    assertThat(info.getString("id")).isEqualTo(b.id());
    assertThat(info.getInteger("clusterMembers")).isEqualTo(2);
    assertThat(info.getLong("pid")).isEqualTo(ProcessHandle.current().pid());

    JsonObject healthOfA = (JsonObject) b.vertx().eventBus().request(Addresses.node(a.id(), Addresses.Nodes.HEALTH), new JsonObject())
      .await(10, TimeUnit.SECONDS).body();
    assertThat(healthOfA.getString("status")).isEqualTo("UP");
    assertThat(healthOfA.getJsonObject("modules").getJsonObject("http").getString("status")).isEqualTo("UP");
  }

  @Test
  void the_node_verbs_take_no_arguments_and_refuse_any_with_a_400() throws Exception {
    for (String address : List.of(Addresses.Nodes.LIST, Addresses.node(b.id(), Addresses.Nodes.INFO),
      Addresses.node(b.id(), Addresses.Nodes.HEALTH))) {
      for (Object body : List.<Object>of(new JsonObject().put("typo", 1), "not json", 42, new JsonArray())) {
        assertThatThrownBy(() -> a.vertx().eventBus().request(address, body).await(10, TimeUnit.SECONDS))
          .as("%s with %s", address, body)
          .isInstanceOfSatisfying(ReplyException.class, e -> {
            assertThat(e.failureCode()).isEqualTo(400);
            assertThat(e.getMessage()).isNotBlank();
          });
      }
      assertThat(a.vertx().eventBus().request(address, new JsonObject().put("version", 1)).await(10, TimeUnit.SECONDS).body())
        .as("%s with {version: 1}", address).isInstanceOf(JsonObject.class);
      assertThat(a.vertx().eventBus().request(address, null).await(10, TimeUnit.SECONDS).body())
        .as("%s with no body", address).isInstanceOf(JsonObject.class);
    }
  }

  @Test
  void a_node_can_run_as_a_lite_member_that_holds_no_data() throws Exception {
    StewardNode lite = cluster.start(List.of("http"), new JsonObject().put("cluster", new JsonObject().put("liteMember", true)))
      .await(60, TimeUnit.SECONDS);
    try {
      JsonObject reply = (JsonObject) a.vertx().eventBus().request(Addresses.Nodes.LIST, new JsonObject())
        .await(10, TimeUnit.SECONDS).body();
      JsonObject entry = reply.getJsonArray("nodes").stream().map(JsonObject.class::cast)
        .filter(n -> n.getString("id").equals(lite.id())).findFirst().orElseThrow();
      assertThat(entry.getBoolean("liteMember")).isTrue();
      var hz = io.steward.spi.Cluster.hazelcast(lite.vertx());
      assertThat(hz.getCluster().getLocalMember().isLiteMember()).isTrue();
      // A lite member owns no partition: every partition is owned by one of the two full members.
      assertThat(hz.getPartitionService().getPartitions())
        .allSatisfy(p -> assertThat(p.getOwner().isLiteMember()).isFalse());
    } finally {
      cluster.stop(lite).await(30, TimeUnit.SECONDS);
    }
  }

  @Test
  void a_node_that_leaves_disappears_from_the_registry() throws Exception {
    StewardNode c = cluster.start(List.of()).await(60, TimeUnit.SECONDS);
    JsonObject three = (JsonObject) a.vertx().eventBus().request(Addresses.Nodes.LIST, new JsonObject()).await(10, TimeUnit.SECONDS).body();
    assertThat(three.getInteger("count")).isEqualTo(3);

    String cId = c.id();
    Promise<JsonObject> left = Promise.promise();
    a.vertx().eventBus().<JsonObject>consumer(Addresses.Nodes.EVENTS, m -> {
      if ("left".equals(m.body().getString("event")) && cId.equals(m.body().getString("id"))) {
        left.tryComplete(m.body());
      }
    }).completion().await(10, TimeUnit.SECONDS);
    cluster.stop(c).await(30, TimeUnit.SECONDS);

    JsonObject event = left.future().await(30, TimeUnit.SECONDS);
    assertThat(event.getInteger("members")).isEqualTo(2);

    JsonObject two = (JsonObject) a.vertx().eventBus().request(Addresses.Nodes.LIST, new JsonObject()).await(10, TimeUnit.SECONDS).body();
    assertThat(two.getInteger("count")).isEqualTo(2);
    assertThat(two.getJsonArray("nodes").stream().map(n -> ((JsonObject) n).getString("id"))).doesNotContain(cId);
  }
  @Test
  void a_live_node_whose_registry_entry_was_lost_lists_itself_again() throws Exception {
    // What a split-brain merge does to a node that was paused past failure detection: the survivors removed its
    // entry, and the merge does not bring it back unless the node held a copy of that partition.
    io.steward.spi.Cluster.hazelcast(a.vertx()).getMap(NodeVerticle.REGISTRY).remove(b.id());
    io.steward.testing.Poll.until(a.vertx(), "b listed again", 30_000, () -> a.vertx().eventBus()
        .request(Addresses.Nodes.LIST, new JsonObject())
        .map(m -> ((JsonObject) m.body()).getJsonArray("nodes").stream()
          .anyMatch(n -> b.id().equals(((JsonObject) n).getString("id")))))
      .await(35, TimeUnit.SECONDS);
  }
}
