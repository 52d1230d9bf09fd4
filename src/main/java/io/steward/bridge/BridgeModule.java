package io.steward.bridge;

import io.steward.spi.Setting;
import io.steward.spi.StewardModule;
import io.vertx.core.DeploymentOptions;
import io.vertx.core.Future;
import io.vertx.core.Vertx;
import io.vertx.core.json.JsonObject;

import java.util.List;

/**
 * The TCP event-bus bridge: services in any language reach permitted event-bus addresses over framed
 * JSON on their own port. A gateway node may run it alone ({@code modules=bridge}).
 */
public final class BridgeModule implements StewardModule {

  @Override
  public String name() {
    return "bridge";
  }

  @Override
  public List<Setting> settings() {
    return BridgeConfig.SETTINGS;
  }

  @Override
  public void validate(JsonObject section) {
    BridgeConfig.from(section);
  }

  @Override
  public Future<String> deploy(Vertx vertx, JsonObject section) {
    BridgeConfig config = BridgeConfig.from(section);
    return vertx.deployVerticle(() -> new BridgeVerticle(config), new DeploymentOptions());
  }
}
