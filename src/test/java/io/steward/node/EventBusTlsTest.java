package io.steward.node;

import io.steward.spi.ConfigException;
import io.steward.spi.Cluster;
import io.steward.testing.Certificates;
import io.steward.testing.FreePorts;
import io.steward.testing.Poll;
import io.steward.testing.TestCluster;
import io.vertx.core.Future;
import io.vertx.core.eventbus.DeliveryOptions;
import io.vertx.core.eventbus.ReplyException;
import io.vertx.core.eventbus.ReplyFailure;
import io.vertx.core.json.JsonObject;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

import java.io.IOException;
import java.net.Inet4Address;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.NetworkInterface;
import java.net.ServerSocket;
import java.net.Socket;
import java.net.SocketException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

/**
 * Event-bus TLS on real clustered nodes, with certificates made by the JDK's keytool as README "Security"
 * says: two nodes whose keys the cluster's CA signed talk; a node without TLS, and a node with TLS but a certificate the cluster does
 * not trust, are Hazelcast members all the same (open-source Hazelcast cannot stop them) but cannot
 * deliver a message to the TLS nodes.
 */
class EventBusTlsTest {

  private static Certificates node;
  private static TestCluster cluster;
  private static StewardNode a;
  private static StewardNode b;
  private static StewardNode plain;
  private static StewardNode intruder;
  private static int plainEventBusPort;
  private static final AtomicInteger secretsReceived = new AtomicInteger();

  @BeforeAll
  static void start() throws Exception {
    Path dir = Files.createTempDirectory("steward-tls");
    Certificates ca = Certificates.authority(dir, "steward-test-ca");
    node = ca.sign("node-a");
    Certificates nodeB = ca.sign("node-b");
    Certificates other = Certificates.create(dir, "intruder");
    cluster = TestCluster.create(EventBusTlsTest.class, 4);
    a = cluster.start(List.of(), tls(node.keyStore())).await(60, TimeUnit.SECONDS);
    b = cluster.start(List.of(), tls(nodeB.keyStore())).await(60, TimeUnit.SECONDS);
    plainEventBusPort = FreePorts.one();
    plain = cluster.start(List.of(), new JsonObject().put("eventBus", new JsonObject().put("port", plainEventBusPort)))
      .await(60, TimeUnit.SECONDS);
    // Trusts the cluster's certificate, but the cluster does not trust its own.
    intruder = cluster.start(List.of(), tls(other.keyStore())).await(60, TimeUnit.SECONDS);
    a.vertx().eventBus().consumer("steward.test.tls.ping", msg -> msg.reply(new JsonObject().put("from", a.id())))
      .completion().await(10, TimeUnit.SECONDS);
    a.vertx().eventBus().consumer("steward.test.tls.secret", msg -> {
      secretsReceived.incrementAndGet();
      msg.reply(new JsonObject());
    }).completion().await(10, TimeUnit.SECONDS);
  }

  @AfterAll
  static void stop() throws Exception {
    if (cluster != null) {
      cluster.close();
    }
  }

  private static JsonObject tls(String keyStore) {
    return new JsonObject().put("eventBus", new JsonObject().put("tls", true)
      .put("keyStore", keyStore).put("keyStorePassword", Certificates.PASSWORD)
      .put("trustStore", node.trustStore()).put("trustStorePassword", Certificates.PASSWORD));
  }

  @Test
  void two_nodes_with_tls_cluster_and_talk() throws Exception {
    Future<JsonObject> reply = Poll.until(b.vertx(), "a's consumer reachable from b", 20_000,
        () -> b.vertx().eventBus().request("steward.test.tls.ping", new JsonObject(), new DeliveryOptions().setSendTimeout(2_000))
          .map(true).otherwise(false))
      .compose(v -> b.vertx().eventBus().<JsonObject>request("steward.test.tls.ping", new JsonObject()))
      .map(m -> m.body());
    assertThat(reply.await(30, TimeUnit.SECONDS).getString("from")).isEqualTo(a.id());
    // Hazelcast itself lets everyone in: the TLS is on the event bus only.
    assertThat(Cluster.hazelcast(a.vertx()).getCluster().getMembers()).hasSize(4);
  }

  @Test
  void a_node_without_tls_cannot_deliver_to_them() throws Exception {
    assertCannotDeliver(plain);
  }

  @Test
  void a_node_whose_certificate_is_not_trusted_cannot_deliver_to_them() throws Exception {
    assertCannotDeliver(intruder);
  }

  /** Sends until the failure is not "no handlers" (the subscription has reached the sender), then checks none arrived. */
  private static void assertCannotDeliver(StewardNode from) throws Exception {
    int before = secretsReceived.get();
    long deadline = System.currentTimeMillis() + 30_000;
    Throwable failure = null;
    while (System.currentTimeMillis() < deadline) {
      try {
        from.vertx().eventBus().request("steward.test.tls.secret", new JsonObject(), new DeliveryOptions().setSendTimeout(2_000))
          .await(10, TimeUnit.SECONDS);
        failure = null;
        break;
      } catch (ReplyException e) {
        failure = e;
        if (e.failureType() != ReplyFailure.NO_HANDLERS) {
          break;
        }
      } catch (Exception e) {
        failure = e;
        break;
      }
    }
    assertThat(failure).as("the request from a node outside the TLS circle must fail").isNotNull();
    if (failure instanceof ReplyException e) {
      assertThat(e.failureType()).as("the sender saw the subscription and tried to connect: %s", e.getMessage())
        .isNotEqualTo(ReplyFailure.NO_HANDLERS);
    }
    assertThat(secretsReceived.get()).isEqualTo(before);
  }

  @Test
  void hazelcast_and_the_event_bus_listen_on_loopback_only_by_default() throws Exception {
    int hazelcastPort = Cluster.hazelcast(plain.vertx()).getCluster().getLocalMember().getAddress().getPort();
    try (ServerSocket everywhere = new ServerSocket(0)) {
      for (InetAddress other : nonLoopbackAddresses()) {
        assertThat(connects(other, everywhere.getLocalPort())).as("control: a port bound to all interfaces, on %s", other).isTrue();
      }
    }
    for (int port : List.of(hazelcastPort, plainEventBusPort)) {
      assertThat(connects(InetAddress.getLoopbackAddress(), port)).as("port %d on loopback", port).isTrue();
      for (InetAddress other : nonLoopbackAddresses()) {
        assertThat(connects(other, port)).as("port %d on %s", port, other).isFalse();
      }
    }
  }

  private static boolean connects(InetAddress address, int port) {
    try (Socket s = new Socket()) {
      s.connect(new InetSocketAddress(address, port), 2_000);
      return true;
    } catch (IOException e) {
      return false;
    }
  }

  private static List<InetAddress> nonLoopbackAddresses() throws SocketException {
    List<InetAddress> out = new ArrayList<>();
    for (NetworkInterface ni : Collections.list(NetworkInterface.getNetworkInterfaces())) {
      if (ni.isUp() && !ni.isLoopback()) {
        Collections.list(ni.getInetAddresses()).stream().filter(a -> a instanceof Inet4Address).forEach(out::add);
      }
    }
    return out;
  }

  @Test
  void tls_settings_are_checked_at_start_up() {
    ConfigLoader loader = StewardNode.configLoader();
    assertThatThrownBy(() -> loader.resolve(new JsonObject().put("eventBus", new JsonObject().put("tls", true)), Map.of(), Map.of()))
      .isInstanceOf(ConfigException.class).hasMessageContaining("eventBus.keyStore: required when eventBus.tls is true");
    JsonObject wrongPassword = tls(node.keyStore());
    wrongPassword.getJsonObject("eventBus").put("keyStorePassword", "nope");
    assertThatThrownBy(() -> loader.resolve(wrongPassword, Map.of(), Map.of()))
      .isInstanceOf(ConfigException.class).hasMessageContaining("eventBus.keyStore: cannot open");
    JsonObject noKey = tls(node.trustStore());
    assertThatThrownBy(() -> loader.resolve(noKey, Map.of(), Map.of()))
      .isInstanceOf(ConfigException.class).hasMessageContaining("holds no private key");
    JsonObject missing = tls(node.keyStore() + ".missing");
    assertThatThrownBy(() -> loader.resolve(missing, Map.of(), Map.of()))
      .isInstanceOf(ConfigException.class).hasMessageContaining("eventBus.keyStore: file not found");
  }
}
