package io.steward.schedule;

import com.hazelcast.config.Config;
import com.hazelcast.config.InMemoryFormat;
import com.hazelcast.config.MapConfig;
import com.hazelcast.config.MergePolicyConfig;
import io.steward.spi.PersistentMap;
import io.steward.spi.Setting;
import io.steward.spi.StewardModule;
import io.vertx.core.Future;
import io.vertx.core.Vertx;
import io.vertx.core.json.JsonObject;

import java.util.List;

/** Interval and cron jobs, fired once per cluster per tick (or on every node), surviving failover. */
public final class ScheduleModule implements StewardModule {

  @Override
  public String name() {
    return "schedule";
  }

  @Override
  public List<Setting> settings() {
    return ScheduleConfig.SETTINGS;
  }

  @Override
  public void validate(JsonObject section) {
    ScheduleConfig.from(section);
  }

  @Override
  public Future<String> deploy(Vertx vertx, JsonObject section) {
    ScheduleConfig config;
    try {
      config = ScheduleConfig.from(section);
    } catch (RuntimeException e) {
      return Future.failedFuture(e);
    }
    // Ticks follow the cluster clock, not this node's wall clock: see ClusterClock.
    return vertx.deployVerticle(new ScheduleVerticle(config, hz -> new ClusterClock(hz.getCluster())));
  }

  /**
   * The merge policies of the module's maps, which its guarantees depend on (docs/schedule.md): the jobs map keeps
   * the newer version of a job or of its tombstone ({@link JobsMergePolicy}), the state map the higher claimed tick
   * ({@link StateMergePolicy}). Set whatever cluster.xml says, on an exact-name configuration (a wildcard such as
   * {@code steward.*} would otherwise give the jobs map its own policy); the rest is copied from what cluster.xml
   * gives the map.
   */
  @Override
  public void configureHazelcast(Config config) {
    policy(config, JobStore.JOBS, JobsMergePolicy.class.getName());
    policy(config, ScheduleNode.STATE, StateMergePolicy.class.getName()).setInMemoryFormat(InMemoryFormat.OBJECT);
  }

  private static MapConfig policy(Config config, String map, String policy) {
    MapConfig mine = new MapConfig(config.findMapConfig(map)).setName(map);
    mine.setMergePolicyConfig(new MergePolicyConfig(policy, mine.getMergePolicyConfig().getBatchSize()));
    config.addMapConfig(mine);
    return mine;
  }

  /**
   * What survives a full-cluster restart with a store (docs/durability.md): the job definitions and each job's
   * state (the claim high-water mark and the run history), so that after the restart the ticks of the downtime
   * follow the job's misfire policy. The membership map ({@code steward.schedule.nodes}) is rebuilt by the nodes.
   */
  @Override
  public List<PersistentMap> persistentMaps() {
    return List.of(PersistentMap.all(JobStore.JOBS), PersistentMap.all(ScheduleNode.STATE));
  }
}
