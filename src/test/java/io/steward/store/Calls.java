package io.steward.store;

import io.steward.node.StewardNode;
import io.vertx.core.eventbus.DeliveryOptions;
import io.vertx.core.json.JsonObject;

import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;

/** A bus request to a node's own handlers, from any thread (a Poll's blocking check included). */
final class Calls {

  private Calls() {
  }

  /**
   * The reply body; a failure is thrown as it came (a {@code ReplyException}). Not {@code Future.await}: that
   * refuses to park a Vert.x worker thread, which is where {@code Poll} checks run.
   */
  static JsonObject call(StewardNode node, String address, JsonObject body) throws Exception {
    try {
      return (JsonObject) node.vertx().eventBus().request(address, body,
          new DeliveryOptions().setLocalOnly(true).setSendTimeout(30_000))
        .toCompletionStage().toCompletableFuture().get(40, TimeUnit.SECONDS).body();
    } catch (ExecutionException e) {
      throw e.getCause() instanceof Exception cause ? cause : e;
    }
  }
}
