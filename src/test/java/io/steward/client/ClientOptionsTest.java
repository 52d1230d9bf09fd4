package io.steward.client;

import com.hazelcast.config.ClasspathXmlConfig;
import com.hazelcast.config.Config;
import com.hazelcast.config.JoinConfig;
import io.vertx.core.Vertx;
import org.junit.jupiter.api.Test;

import java.time.Duration;
import java.util.List;
import java.util.concurrent.TimeUnit;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

/** The lite member's Hazelcast configuration shares every setting of the nodes' cluster.xml that must match. */
class ClientOptionsTest {

  private static final List<String> SAME_PROPERTIES = List.of("hazelcast.heartbeat.interval.seconds",
    "hazelcast.max.no.heartbeat.seconds", "hazelcast.wait.seconds.before.join", "hazelcast.merge.first.run.delay.seconds",
    "hazelcast.merge.next.run.delay.seconds", "hazelcast.socket.bind.any", "hazelcast.phone.home.enabled");

  @Test
  void the_lite_member_shares_the_settings_of_cluster_xml_that_must_match() {
    Config nodes = new ClasspathXmlConfig("cluster.xml");
    Config client = ClientOptions.defaults().hazelcastConfig();
    assertThat(client.isLiteMember()).isTrue();
    assertThat(client.getClusterName()).isEqualTo(nodes.getClusterName());
    for (String p : SAME_PROPERTIES) {
      assertThat(client.getProperty(p)).as(p).isEqualTo(nodes.getProperty(p));
    }
    assertThat(client.getMultiMapConfig(ClientOptions.SUBSCRIPTIONS)).isEqualTo(nodes.getMultiMapConfig(ClientOptions.SUBSCRIPTIONS));
    for (String map : List.of("__vertx.haInfo", "__vertx.nodeInfo")) {
      assertThat(client.getMapConfig(map).getBackupCount()).as(map).isEqualTo(nodes.getMapConfig(map).getBackupCount());
    }
    JoinConfig nodeJoin = nodes.getNetworkConfig().getJoin();
    JoinConfig clientJoin = client.getNetworkConfig().getJoin();
    assertThat(clientJoin.getMulticastConfig().isEnabled()).isEqualTo(nodeJoin.getMulticastConfig().isEnabled());
    assertThat(clientJoin.getAutoDetectionConfig().isEnabled()).isEqualTo(nodeJoin.getAutoDetectionConfig().isEnabled());
    assertThat(clientJoin.getTcpIpConfig().getMembers()).isEqualTo(nodeJoin.getTcpIpConfig().getMembers());
    assertThat(List.copyOf(client.getNetworkConfig().getInterfaces().getInterfaces()))
      .isEqualTo(List.copyOf(nodes.getNetworkConfig().getInterfaces().getInterfaces()));
    assertThat(client.getNetworkConfig().getPort()).isEqualTo(nodes.getNetworkConfig().getPort());
  }

  @Test
  void the_options_set_name_members_interface_and_failure_detection() {
    ClientOptions o = ClientOptions.defaults().clusterName("prod").members(List.of("10.0.0.5", "10.0.0.6:5702"))
      .clusterInterface("10.0.0.9").failureDetectionSeconds(30).port(5801);
    Config c = o.hazelcastConfig();
    assertThat(c.getClusterName()).isEqualTo("prod");
    assertThat(c.getNetworkConfig().getJoin().getTcpIpConfig().getMembers()).containsExactly("10.0.0.5", "10.0.0.6:5702");
    assertThat(c.getNetworkConfig().getInterfaces().getInterfaces()).containsExactly("10.0.0.9");
    assertThat(c.getNetworkConfig().getPort()).isEqualTo(5801);
    assertThat(c.getProperty("hazelcast.max.no.heartbeat.seconds")).isEqualTo("30");
    assertThat(o.vertxOptions().getEventBusOptions().getHost()).isEqualTo("10.0.0.9");
  }

  @Test
  void bad_options_are_refused_with_the_option_named() {
    assertThatThrownBy(() -> ClientOptions.defaults().members(List.of())).hasMessageStartingWith("members:");
    assertThatThrownBy(() -> ClientOptions.defaults().port(0)).hasMessageStartingWith("port:");
    assertThatThrownBy(() -> ClientOptions.defaults().failureDetectionSeconds(0)).hasMessageStartingWith("failureDetectionSeconds:");
    assertThatThrownBy(() -> ClientOptions.defaults().requestTimeout(Duration.ZERO)).hasMessageStartingWith("requestTimeout:");
    assertThatThrownBy(() -> Retry.attempts(0)).hasMessageStartingWith("maxAttempts:");
  }

  @Test
  void a_client_needs_a_clustered_vertx() throws Exception {
    Vertx local = Vertx.vertx();
    try {
      assertThatThrownBy(() -> StewardClient.create(local)).isInstanceOf(IllegalArgumentException.class)
        .hasMessageContaining("not clustered");
    } finally {
      local.close().await(10, TimeUnit.SECONDS);
    }
  }
}
