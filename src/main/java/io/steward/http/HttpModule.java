package io.steward.http;

import io.steward.observe.Metrics;
import io.steward.spi.Setting;
import io.steward.spi.StewardModule;
import io.vertx.core.DeploymentOptions;
import io.vertx.core.Future;
import io.vertx.core.Vertx;
import io.vertx.core.json.JsonObject;

import java.time.Clock;
import java.util.List;

/** The HTTP API: REST routes that forward over the event bus, health, metrics, OpenAPI. */
public final class HttpModule implements StewardModule {

  @Override
  public String name() {
    return "http";
  }

  @Override
  public List<Setting> settings() {
    return HttpConfig.SETTINGS;
  }

  @Override
  public void validate(JsonObject section) {
    HttpConfig.from(section);
  }

  @Override
  public Future<String> deploy(Vertx vertx, JsonObject section) {
    HttpConfig config = HttpConfig.from(section);
    Series series = new Series(new Sampler(Metrics.registry(vertx)), Clock.systemUTC());
    return vertx.deployVerticle(() -> new HttpVerticle(config, series), new DeploymentOptions().setInstances(config.instances()));
  }
}
