package io.steward.fanout;

import io.steward.observe.Metrics;
import io.steward.spi.Setting;
import io.steward.spi.StewardModule;
import io.vertx.core.DeploymentOptions;
import io.vertx.core.Future;
import io.vertx.core.Vertx;
import io.vertx.core.json.JsonObject;

import java.util.List;

/** Fan-out / fan-in: {@code steward.fanout.run} scatters requests and aggregates the replies; {@code .gather} asks every node. */
public final class FanoutModule implements StewardModule {

  @Override
  public String name() {
    return "fanout";
  }

  @Override
  public List<Setting> settings() {
    return FanoutConfig.SETTINGS;
  }

  @Override
  public void validate(JsonObject section) {
    FanoutConfig.from(section);
  }

  @Override
  public Future<String> deploy(Vertx vertx, JsonObject section) {
    FanoutConfig config = FanoutConfig.from(section);
    Runs runs = new Runs(config.maxRuns(), Metrics.registry(vertx));
    return vertx.deployVerticle(() -> new FanoutVerticle(config, runs), new DeploymentOptions().setInstances(config.instances()));
  }
}
