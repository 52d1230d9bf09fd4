package io.steward.cache;

import io.steward.node.Setting;
import io.steward.node.StewardModule;
import io.vertx.core.DeploymentOptions;
import io.vertx.core.Future;
import io.vertx.core.Vertx;
import io.vertx.core.json.JsonObject;

import java.util.List;

/** The clustered cache: named caches on Hazelcast maps, reached through {@code steward.cache.*} (README, Cache). */
public final class CacheModule implements StewardModule {

  static final String NAME = "cache";

  @Override
  public String name() {
    return NAME;
  }

  @Override
  public List<Setting> settings() {
    return CacheConfig.SETTINGS;
  }

  @Override
  public void validate(JsonObject section) {
    CacheConfig.from(section);
  }

  @Override
  public Future<String> deploy(Vertx vertx, JsonObject section) {
    CacheConfig config = CacheConfig.from(section);
    return vertx.deployVerticle(new CacheVerticle(config), new DeploymentOptions());
  }
}
