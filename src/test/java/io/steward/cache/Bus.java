package io.steward.cache;

import io.vertx.core.Future;
import io.vertx.core.Vertx;
import io.vertx.core.eventbus.DeliveryOptions;
import io.vertx.core.eventbus.ReplyException;
import io.vertx.core.json.JsonObject;

import java.util.concurrent.TimeUnit;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.fail;

/** Requests to the cache module over the event bus, for tests. */
final class Bus {

  static final long TIMEOUT_MS = 30_000;

  private Bus() {
  }

  static Future<JsonObject> ask(Vertx vertx, String address, Object body) {
    return vertx.eventBus().request(address, body, new DeliveryOptions().setSendTimeout(TIMEOUT_MS))
      .map(m -> (JsonObject) m.body());
  }

  /** Asks this node's own consumer (the event bus would otherwise pick any node that runs the module). */
  static Future<JsonObject> askHere(Vertx vertx, String address, Object body) {
    return vertx.eventBus().request(address, body, new DeliveryOptions().setSendTimeout(TIMEOUT_MS).setLocalOnly(true))
      .map(m -> (JsonObject) m.body());
  }

  /** Blocks (test thread) for the reply body. */
  static JsonObject call(Vertx vertx, String address, Object body) throws Exception {
    return ask(vertx, address, body).await(TIMEOUT_MS + 5_000, TimeUnit.MILLISECONDS);
  }

  /** Blocks for the failure and checks its code and that its message contains {@code text}. */
  static ReplyException failure(Vertx vertx, String address, Object body, int code, String text) throws Exception {
    try {
      Object reply = vertx.eventBus().request(address, body, new DeliveryOptions().setSendTimeout(TIMEOUT_MS))
        .await(TIMEOUT_MS + 5_000, TimeUnit.MILLISECONDS).body();
      fail("expected %d from %s for %s, got reply %s", code, address, body, reply);
      return null;
    } catch (ReplyException e) {
      assertThat(e.failureCode()).as("code of %s for %s: %s", address, body, e.getMessage()).isEqualTo(code);
      assertThat(e.getMessage()).as("message of %s for %s", address, body).contains(text);
      return e;
    }
  }

  static JsonObject entry(String cache, String key) {
    return new JsonObject().put("cache", cache).put("key", key);
  }
}
