package io.steward.workflows;

import io.steward.spi.PersistentMap;
import io.steward.spi.Setting;
import io.steward.spi.StewardModule;
import io.vertx.core.DeploymentOptions;
import io.vertx.core.Future;
import io.vertx.core.Vertx;
import io.vertx.core.json.JsonObject;

import java.util.List;

/** Workflows: steps with dependencies, fan-out and quorum, each step run as durable tasks (docs/workflows.md). */
public final class WorkflowsModule implements StewardModule {

  @Override
  public String name() {
    return "workflows";
  }

  @Override
  public List<Setting> settings() {
    return WorkflowsConfig.SETTINGS;
  }

  /**
   * With a store (docs/durability.md), workflow records and their keys survive a full stop of the cluster: a running
   * workflow goes on where it was once a node starts again, a finished one is still found until its expiry.
   */
  @Override
  public List<PersistentMap> persistentMaps() {
    return List.of(PersistentMap.all(Runs.MAP), PersistentMap.all(Keys.MAP));
  }

  @Override
  public void validate(JsonObject section) {
    WorkflowsConfig.from(section);
  }

  @Override
  public Future<String> deploy(Vertx vertx, JsonObject section) {
    return vertx.deployVerticle(new WorkflowsVerticle(WorkflowsConfig.from(section)), new DeploymentOptions());
  }
}
