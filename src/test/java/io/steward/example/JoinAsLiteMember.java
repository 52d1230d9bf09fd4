package io.steward.example;

import com.hazelcast.config.Config;
import com.hazelcast.config.MultiMapConfig;
import com.hazelcast.config.NetworkConfig;
import io.vertx.core.Future;
import io.vertx.core.Vertx;
import io.vertx.core.VertxOptions;
import io.vertx.core.json.JsonObject;
import io.vertx.spi.cluster.hazelcast.HazelcastClusterManager;

import java.util.List;

/**
 * README example: another Vert.x service joins a Steward cluster as a Hazelcast lite member (it holds no
 * data, so it can come and go freely) and talks to Steward over the event bus. It needs vertx-core and
 * vertx-hazelcast of the same Hazelcast minor version as the nodes (5.6).
 *
 * <p>Run: {@code java -cp … io.steward.example.JoinAsLiteMember} next to a node started with
 * {@code java -jar target/steward.jar}.
 */
public final class JoinAsLiteMember {

  private JoinAsLiteMember() {
  }

  /** Joins with the nodes' default failure detection ({@code cluster.xml}: 10 s). */
  public static Future<Vertx> join(String clusterName, List<String> members, int port) {
    return join(clusterName, members, port, 10);
  }

  /** {@code failureDetectionSeconds}: the nodes' {@code cluster.failureDetectionSeconds}; use the same value. */
  public static Future<Vertx> join(String clusterName, List<String> members, int port, int failureDetectionSeconds) {
    Config hazelcast = new Config()
      .setClusterName(clusterName)       // the nodes' cluster.name
      .setLiteMember(true);              // no data partitions on this JVM
    NetworkConfig network = hazelcast.getNetworkConfig().setPort(port).setPortAutoIncrement(true);
    network.getInterfaces().setEnabled(true).addInterface("127.0.0.1");
    network.getJoin().getMulticastConfig().setEnabled(false);
    network.getJoin().getTcpIpConfig().setEnabled(true).setMembers(members);
    // Vert.x keeps event-bus subscriptions in this multimap; declare it as the nodes do.
    hazelcast.addMultiMapConfig(new MultiMapConfig("__vertx.subs").setBackupCount(1)
      .setValueCollectionType(MultiMapConfig.ValueCollectionType.SET));
    // Members declare a silent member dead after cluster.failureDetectionSeconds (10 s by default), and this
    // lite member is a member too: heartbeat at least as often as the nodes do (cluster.xml: every second).
    hazelcast.setProperty("hazelcast.heartbeat.interval.seconds", "1");
    // And suspect a silent member as soon as the nodes do. When the master (the oldest member) stops, a new
    // master is agreed only once every member, this one included, suspects the old one: with Hazelcast's default
    // (60 s) here, a paused master would stay in the cluster, and keep its partitions, for a minute.
    hazelcast.setProperty("hazelcast.max.no.heartbeat.seconds", Integer.toString(failureDetectionSeconds));
    hazelcast.setProperty("hazelcast.logging.type", "slf4j");
    hazelcast.setProperty("hazelcast.phone.home.enabled", "false");

    VertxOptions options = new VertxOptions();
    options.getEventBusOptions().setHost("127.0.0.1");   // where Steward nodes reach this service's event bus
    return Vertx.builder().with(options).withClusterManager(new HazelcastClusterManager(hazelcast)).buildClustered();
  }

  public static void main(String[] args) {
    // Name the nodes' port: a member without one is looked for in this JVM's own port range (5801 and up).
    join("steward", List.of("127.0.0.1:5701"), 5801)
      .compose(vertx -> vertx.eventBus().request("steward.nodes.list", new JsonObject())
        .onComplete(reply -> vertx.close()))
      .onSuccess(reply -> System.out.println("Steward nodes: " + reply.body()))
      .onFailure(err -> System.err.println("Steward did not answer: " + err.getMessage()));
  }
}
