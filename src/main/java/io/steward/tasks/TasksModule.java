package io.steward.tasks;

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

  @Override
  public List<PersistentMap> persistentMaps() {
    return Durability.maps();
  }
}
