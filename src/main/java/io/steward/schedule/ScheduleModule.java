package io.steward.schedule;

import io.steward.node.PersistentMap;
import io.steward.node.Setting;
import io.steward.node.StewardModule;
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
   * What survives a full-cluster restart with a store (README, Durability): the job definitions and each job's
   * state (the claim high-water mark and the run history), so that after the restart the ticks of the downtime
   * follow the job's misfire policy. The membership map ({@code steward.schedule.nodes}) is rebuilt by the nodes.
   */
  @Override
  public List<PersistentMap> persistentMaps() {
    return List.of(PersistentMap.all(JobStore.JOBS), PersistentMap.all(ScheduleNode.STATE));
  }
}
