package io.steward.workflows;

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

  @Override
  public void validate(JsonObject section) {
    WorkflowsConfig.from(section);
  }

  @Override
  public Future<String> deploy(Vertx vertx, JsonObject section) {
    return vertx.deployVerticle(new WorkflowsVerticle(WorkflowsConfig.from(section)), new DeploymentOptions());
  }
}
