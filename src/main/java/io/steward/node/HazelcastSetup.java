package io.steward.node;

import io.steward.spi.ConfigException;
import io.steward.spi.MissedBackups;
import com.hazelcast.config.ClasspathXmlConfig;
import com.hazelcast.config.Config;
import com.hazelcast.config.FileSystemXmlConfig;
import com.hazelcast.config.MapConfig;
import com.hazelcast.config.NetworkConfig;
import com.hazelcast.config.SplitBrainProtectionConfig;
import com.hazelcast.config.TcpIpConfig;
import io.vertx.spi.cluster.hazelcast.ConfigUtil;

import java.io.FileNotFoundException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;

/**
 * Builds the Hazelcast configuration: {@code -Dvertx.hazelcast.config} if set (as vertx-hazelcast does),
 * else {@code cluster.config} ({@code cluster.xml} in the working directory, if it exists), else the
 * {@code cluster.xml} packaged in the jar; then applies the {@code cluster.*} settings on top.
 * The XML's {@code __vertx.*} structures are kept as they are.
 */
final class HazelcastSetup {

  static final String SPLIT_BRAIN_PROTECTION = "steward-minimum-size";
  static final String STEWARD_MAPS = "steward.*";

  private HazelcastSetup() {
  }

  /** Heartbeats the master waits for more suspicion reports before it resolves a partial partition. */
  static final String PARTIAL_DISCONNECTION = "hazelcast.partial.member.disconnection.resolution.heartbeat.count";

  static Config build(NodeConfig.Cluster c) {
    Config config = load(c.config());
    if (c.name() != null) {
      config.setClusterName(c.name());
    }
    NetworkConfig net = config.getNetworkConfig();
    if (c.port() > 0) {
      net.setPort(c.port()).setPortAutoIncrement(true);
    }
    if (c.members() != null) {
      TcpIpConfig tcp = net.getJoin().getTcpIpConfig();
      tcp.setEnabled(true).setMembers(c.members());
      net.getJoin().getMulticastConfig().setEnabled(false);
    }
    if (c.iface() != null) {
      net.getInterfaces().setEnabled(true).setInterfaces(List.of(c.iface()));
      config.setProperty("hazelcast.socket.bind.any", "false");
    }
    if (c.publicAddress() != null) {
      net.setPublicAddress(c.publicAddress());
    }
    config.setLiteMember(c.liteMember());
    if (c.failureDetectionSeconds() > 0) {
      config.setProperty("hazelcast.max.no.heartbeat.seconds", Integer.toString(c.failureDetectionSeconds()));
      int heartbeat = Math.max(1, Math.min(5, c.failureDetectionSeconds() / 5));
      config.setProperty("hazelcast.heartbeat.interval.seconds", Integer.toString(heartbeat));
    }
    if (c.minimumSize() > 1) {
      config.addSplitBrainProtectionConfig(new SplitBrainProtectionConfig(SPLIT_BRAIN_PROTECTION, true, c.minimumSize()));
      MapConfig maps = config.getMapConfigOrNull(STEWARD_MAPS);
      if (maps == null) {
        maps = new MapConfig(STEWARD_MAPS);
        config.addMapConfig(maps);
      }
      maps.setSplitBrainProtectionName(SPLIT_BRAIN_PROTECTION);
      // Steward's maps declared outside the wildcard (the schedule's claim state) are protected the same way.
      for (MapConfig m : config.getMapConfigs().values()) {
        if (m.getName().startsWith("steward")) {
          m.setSplitBrainProtectionName(SPLIT_BRAIN_PROTECTION);
        }
      }
    }
    // Partial partitions (two members that reach the master but not each other): the members report their
    // suspicions to the master, which removes the fewest members that leave the rest fully connected. Hazelcast's
    // default (0) leaves such members in one cluster where every call between them fails. A file may set its own.
    if (config.getProperty(PARTIAL_DISCONNECTION) == null) {
      config.setProperty(PARTIAL_DISCONNECTION, "3");
    }
    config.setProperty(MissedBackups.CONFIRM_PROPERTY, Integer.toString(c.backupConfirmMs()));
    // Steward logs through SLF4J and never reports to Hazelcast's phone-home service.
    config.setProperty("hazelcast.logging.type", "slf4j");
    config.setProperty("hazelcast.phone.home.enabled", "false");
    return config;
  }

  private static Config load(String location) {
    if (System.getProperty("vertx.hazelcast.config") != null) {
      return ConfigUtil.loadConfig();
    }
    if (location.startsWith("classpath:")) {
      return classpath(location.substring("classpath:".length()), "cluster.config");
    }
    Path file = Path.of(location);
    if (Files.isRegularFile(file)) {
      try {
        return new FileSystemXmlConfig(file.toFile());
      } catch (FileNotFoundException e) {
        throw new ConfigException("cluster.config", "cannot read " + file.toAbsolutePath());
      } catch (RuntimeException e) {
        throw new ConfigException("cluster.config", "invalid Hazelcast XML in " + file.toAbsolutePath() + ": " + e.getMessage());
      }
    }
    if (!location.equals("cluster.xml")) {
      throw new ConfigException("cluster.config", "file not found: " + file.toAbsolutePath());
    }
    return classpath("cluster.xml", "cluster.config");
  }

  private static Config classpath(String resource, String key) {
    if (HazelcastSetup.class.getClassLoader().getResource(resource) == null) {
      throw new ConfigException(key, "no " + resource + " on the classpath");
    }
    return new ClasspathXmlConfig(resource);
  }
}
