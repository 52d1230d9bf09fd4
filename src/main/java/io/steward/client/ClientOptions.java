package io.steward.client;

import com.hazelcast.config.Config;
import com.hazelcast.config.MapConfig;
import com.hazelcast.config.MultiMapConfig;
import com.hazelcast.config.NetworkConfig;
import io.vertx.core.VertxOptions;

import java.time.Duration;
import java.util.List;
import java.util.Objects;

/**
 * How {@link StewardClient#join} joins a Steward cluster: the few settings that differ per cluster (its name,
 * where its members are, the interface to bind, its failure detection). Everything else a lite member must share
 * with the nodes ({@code cluster.xml}: heartbeat, the {@code __vertx.*} structures, binding one interface) is
 * derived by {@link #hazelcastConfig()}. Immutable; the defaults join a node started with
 * {@code java -jar steward.jar} on this machine.
 *
 * @param clusterName             the nodes' {@code cluster.name} ({@code steward})
 * @param members                 where to find the nodes, {@code host} or {@code host:port} (the nodes'
 *                                {@code cluster.members}; {@code 127.0.0.1})
 * @param port                    this member's first Hazelcast port, incremented while taken (5701, as the nodes)
 * @param clusterInterface        the interface Hazelcast binds and the event bus listens on
 *                                ({@code cluster.interface}; {@code 127.0.0.1})
 * @param failureDetectionSeconds the nodes' {@code cluster.failureDetectionSeconds} (10)
 * @param requestTimeout          how long a call waits for its answer unless it says otherwise (30 s)
 */
public record ClientOptions(String clusterName, List<String> members, int port, String clusterInterface,
                            int failureDetectionSeconds, Duration requestTimeout) {

  /** Vert.x keeps event-bus subscriptions in this multimap (declared as the nodes' cluster.xml does). */
  static final String SUBSCRIPTIONS = "__vertx.subs";

  public ClientOptions {
    Objects.requireNonNull(clusterName, "clusterName");
    members = List.copyOf(members);
    if (members.isEmpty()) {
      throw new IllegalArgumentException("members: name at least one node (host or host:port)");
    }
    if (port < 1 || port > 65535) {
      throw new IllegalArgumentException("port: must be 1-65535, got " + port);
    }
    Objects.requireNonNull(clusterInterface, "clusterInterface");
    if (failureDetectionSeconds < 1) {
      throw new IllegalArgumentException("failureDetectionSeconds: must be at least 1, got " + failureDetectionSeconds);
    }
    if (requestTimeout.toMillis() < 1) {
      throw new IllegalArgumentException("requestTimeout: must be at least 1 ms, got " + requestTimeout);
    }
  }

  /** The defaults: a node started on this machine with {@code java -jar steward.jar}. */
  public static ClientOptions defaults() {
    return new ClientOptions("steward", List.of("127.0.0.1"), 5701, "127.0.0.1", 10, Duration.ofSeconds(30));
  }

  public ClientOptions clusterName(String name) {
    return new ClientOptions(name, members, port, clusterInterface, failureDetectionSeconds, requestTimeout);
  }

  public ClientOptions members(List<String> list) {
    return new ClientOptions(clusterName, list, port, clusterInterface, failureDetectionSeconds, requestTimeout);
  }

  public ClientOptions port(int first) {
    return new ClientOptions(clusterName, members, first, clusterInterface, failureDetectionSeconds, requestTimeout);
  }

  public ClientOptions clusterInterface(String iface) {
    return new ClientOptions(clusterName, members, port, iface, failureDetectionSeconds, requestTimeout);
  }

  public ClientOptions failureDetectionSeconds(int seconds) {
    return new ClientOptions(clusterName, members, port, clusterInterface, seconds, requestTimeout);
  }

  public ClientOptions requestTimeout(Duration timeout) {
    return new ClientOptions(clusterName, members, port, clusterInterface, failureDetectionSeconds, timeout);
  }

  /**
   * The Hazelcast configuration of the lite member: what must match the nodes, derived from these options.
   * Change it only for settings the nodes changed in their own {@code cluster.xml}.
   */
  public Config hazelcastConfig() {
    Config config = new Config().setClusterName(clusterName).setLiteMember(true);   // holds no data
    NetworkConfig network = config.getNetworkConfig().setPort(port).setPortAutoIncrement(true).setPortCount(20);
    network.getInterfaces().setEnabled(true).addInterface(clusterInterface);
    network.getJoin().getAutoDetectionConfig().setEnabled(false);
    network.getJoin().getMulticastConfig().setEnabled(false);
    network.getJoin().getTcpIpConfig().setEnabled(true).setConnectionTimeoutSeconds(2).setMembers(members);
    config.addMultiMapConfig(new MultiMapConfig(SUBSCRIPTIONS).setBackupCount(1)
      .setValueCollectionType(MultiMapConfig.ValueCollectionType.SET));
    config.addMapConfig(new MapConfig("__vertx.haInfo").setBackupCount(1));
    config.addMapConfig(new MapConfig("__vertx.nodeInfo").setBackupCount(1));
    // A lite member is a member: it heartbeats at least as often as the nodes expect, and suspects a silent
    // member as soon as they do (a new master is agreed only once every member suspects the old one).
    config.setProperty("hazelcast.heartbeat.interval.seconds", "1");
    config.setProperty("hazelcast.max.no.heartbeat.seconds", Integer.toString(failureDetectionSeconds));
    // As the nodes: members report suspicions of each other to the master, which resolves partial partitions.
    config.setProperty("hazelcast.partial.member.disconnection.resolution.heartbeat.count", "3");
    config.setProperty("hazelcast.wait.seconds.before.join", "1");
    config.setProperty("hazelcast.merge.first.run.delay.seconds", "10");
    config.setProperty("hazelcast.merge.next.run.delay.seconds", "10");
    config.setProperty("hazelcast.socket.bind.any", "false");
    config.setProperty("hazelcast.phone.home.enabled", "false");
    config.setProperty("hazelcast.logging.type", slf4j() ? "slf4j" : "jdk");
    return config;
  }

  /** The Vert.x options: the event bus listens on the cluster interface, where the nodes reach it. */
  public VertxOptions vertxOptions() {
    VertxOptions options = new VertxOptions();
    options.getEventBusOptions().setHost(clusterInterface);
    return options;
  }

  private static boolean slf4j() {
    try {
      Class.forName("org.slf4j.LoggerFactory", false, ClientOptions.class.getClassLoader());
      return true;
    } catch (ClassNotFoundException e) {
      return false;
    }
  }
}
