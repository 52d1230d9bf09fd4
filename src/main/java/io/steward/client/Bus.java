package io.steward.client;

import io.vertx.core.Future;
import io.vertx.core.Promise;
import io.vertx.core.Vertx;
import io.vertx.core.eventbus.DeliveryOptions;
import io.vertx.core.json.JsonObject;

/** Requests over the event bus: failures as {@link StewardException}, retried by the client's {@link Retry}. */
final class Bus {

  final Vertx vertx;
  final long timeoutMs;
  final Retry retry;

  Bus(Vertx vertx, long timeoutMs, Retry retry) {
    this.vertx = vertx;
    this.timeoutMs = timeoutMs;
    this.retry = retry;
  }

  Bus withRetry(Retry r) {
    return new Bus(vertx, timeoutMs, r);
  }

  /** The reply's body (null when the address answers without one). */
  Future<JsonObject> request(String address, JsonObject body, boolean idempotent) {
    return request(address, body, timeoutMs, idempotent);
  }

  Future<JsonObject> request(String address, JsonObject body, long waitMs, boolean idempotent) {
    return attempt(address, body, waitMs, idempotent, 1);
  }

  void send(String address, JsonObject body) {
    vertx.eventBus().send(address, body);
  }

  private Future<JsonObject> attempt(String address, JsonObject body, long waitMs, boolean idempotent, int n) {
    return vertx.eventBus().request(address, body.copy(), new DeliveryOptions().setSendTimeout(waitMs))
      .transform(ar -> {
        if (ar.succeeded()) {
          Object reply = ar.result().body();
          if (reply == null || reply instanceof JsonObject) {
            return Future.succeededFuture((JsonObject) reply);
          }
          return Future.failedFuture(new StewardException(500, "expected a JSON object in the reply, got "
            + reply.getClass().getSimpleName(), address, null));
        }
        StewardException failure = StewardException.from(ar.cause(), address);
        if (retry == null || !retry.again(failure, idempotent, n)) {
          return Future.failedFuture(failure);
        }
        Promise<Void> wait = Promise.promise();
        vertx.setTimer(Math.max(1, retry.backoffMs(n)), t -> wait.complete());
        return wait.future().compose(v -> attempt(address, body, waitMs, idempotent, n + 1));
      });
  }
}
