package io.steward.node;

import io.steward.bus.Addresses;
import io.steward.testing.TestCluster;
import io.vertx.core.eventbus.DeliveryOptions;
import io.vertx.core.json.JsonObject;
import org.junit.jupiter.api.Test;

import java.util.List;
import java.util.concurrent.TimeUnit;

import static org.assertj.core.api.Assertions.assertThat;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

/**
 * {@code vertx.nativeTransport}: on by default, a Linux node runs its event loops and sockets on epoll (the jar
 * carries Netty's native library for x86_64 and aarch64); off, on Java NIO. Nodes of either kind form one cluster
 * and serve each other's requests over the clustered event bus.
 */
class TransportTest {

  @Test
  void a_linux_node_runs_on_epoll_by_default_and_on_nio_when_asked_and_both_serve_each_other() throws Exception {
    String arch = System.getProperty("os.arch");
    assumeTrue(System.getProperty("os.name").startsWith("Linux") && (arch.equals("amd64") || arch.equals("aarch64")),
      "the jar carries epoll for Linux x86_64 and aarch64 only");
    JsonObject caches = new JsonObject().put("cache", new JsonObject().put("caches",
      new JsonObject().put("t", new JsonObject())));
    try (TestCluster cluster = TestCluster.create(TransportTest.class, 2)) {
      StewardNode epoll = cluster.start(List.of("cache"), caches).await(90, TimeUnit.SECONDS);
      StewardNode nio = cluster.start(List.of("cache"), caches.copy()
        .put("vertx", new JsonObject().put("nativeTransport", false))).await(90, TimeUnit.SECONDS);

      assertThat(epoll.vertx().isNativeTransportEnabled())
        .as("default node on epoll; unavailable because: %s", epoll.vertx().unavailableNativeTransportCause()).isTrue();
      assertThat(nio.vertx().isNativeTransportEnabled()).isFalse();

      // The clustered event bus between the two kinds: each node answers on an address only it has.
      epoll.vertx().eventBus().consumer("transport.test.epoll", m -> m.reply("epoll:" + m.body()))
        .completion().await(30, TimeUnit.SECONDS);
      nio.vertx().eventBus().consumer("transport.test.nio", m -> m.reply("nio:" + m.body()))
        .completion().await(30, TimeUnit.SECONDS);
      for (int i = 0; i < 20; i++) {
        assertThat(epoll.vertx().eventBus().request("transport.test.nio", "x" + i).await(30, TimeUnit.SECONDS).body())
          .isEqualTo("nio:x" + i);
        assertThat(nio.vertx().eventBus().request("transport.test.epoll", "y" + i).await(30, TimeUnit.SECONDS).body())
          .isEqualTo("epoll:y" + i);
      }
      // And the cache: written through one node's module, read through the other's.
      for (int i = 0; i < 20; i++) {
        StewardNode writer = i % 2 == 0 ? epoll : nio;
        StewardNode reader = i % 2 == 0 ? nio : epoll;
        DeliveryOptions local = new DeliveryOptions().setLocalOnly(true);
        writer.vertx().eventBus().request(Addresses.Cache.PUT, new JsonObject().put("cache", "t").put("key", "k" + i)
          .put("value", i), local).await(30, TimeUnit.SECONDS);
        JsonObject got = (JsonObject) reader.vertx().eventBus().request(Addresses.Cache.GET, new JsonObject()
          .put("cache", "t").put("key", "k" + i), local).await(30, TimeUnit.SECONDS).body();
        assertThat(got.getValue("value")).as("key k%d written on one node, read on the other: %s", i, got).isEqualTo(i);
      }
      JsonObject nodes = (JsonObject) nio.vertx().eventBus().request(Addresses.Nodes.LIST, new JsonObject())
        .await(30, TimeUnit.SECONDS).body();
      assertThat(nodes.getInteger("count")).isEqualTo(2);
    }
  }
}
