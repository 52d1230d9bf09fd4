package io.steward.tasks;

import com.hazelcast.config.Config;
import com.hazelcast.config.MapConfig;
import com.hazelcast.config.MergePolicyConfig;
import io.steward.spi.PersistentMap;
import io.steward.spi.Setting;
import io.steward.spi.StewardModule;
import io.vertx.core.DeploymentOptions;
import io.vertx.core.Future;
import io.vertx.core.Vertx;
import io.vertx.core.json.JsonObject;

import java.util.List;

/** Supervised tasks: named supervisors with their own workers, OTP restart strategies, cluster-wide control. */
public final class TasksModule implements StewardModule {

  @Override
  public String name() {
    return "tasks";
  }

  @Override
  public List<Setting> settings() {
    return TasksConfig.SETTINGS;
  }

  @Override
  public void validate(JsonObject section) {
    TasksConfig.from(section);
  }

  @Override
  public Future<String> deploy(Vertx vertx, JsonObject section) {
    TasksConfig config = TasksConfig.from(section);
    return vertx.deployVerticle(new TasksVerticle(config), new DeploymentOptions());
  }

  /**
   * The durable task records heal after a split brain by {@link RecordsMergePolicy} (a survivor's takeover wins over a
   * cut-off node's stale copy), whatever cluster.xml says, on an exact-name configuration copied from what cluster.xml
   * gives the map (a wildcard such as {@code steward.*} would otherwise give it the latest update wins).
   */
  @Override
  public void configureHazelcast(Config config) {
    MapConfig records = new MapConfig(config.findMapConfig(TaskStore.RECORDS)).setName(TaskStore.RECORDS);
    records.setMergePolicyConfig(new MergePolicyConfig(RecordsMergePolicy.class.getName(),
      records.getMergePolicyConfig().getBatchSize()));
    config.addMapConfig(records);
  }

  @Override
  public List<PersistentMap> persistentMaps() {
    return Durability.maps();
  }
}
