package io.steward.client;

import io.vertx.core.Future;
import io.vertx.core.eventbus.Message;
import io.vertx.core.eventbus.MessageConsumer;
import io.vertx.core.json.JsonObject;

import java.util.Map;
import java.util.UUID;
import java.util.concurrent.ConcurrentHashMap;
import java.util.function.Function;
import java.util.function.Supplier;

/**
 * Computations of {@link Cache#getOrCompute(String, Function)} that run in this application: one consumer per
 * client, on an address of its own, registered at the first use; each call is named in the body it is asked with.
 */
final class LocalComputes {

  private final Bus bus;
  private final String address = "steward.client." + UUID.randomUUID() + ".compute";
  private final Map<String, Supplier<Future<?>>> calls = new ConcurrentHashMap<>();
  private MessageConsumer<JsonObject> consumer;
  private Future<Void> registered;

  LocalComputes(Bus bus) {
    this.bus = bus;
  }

  /** Runs {@code request} with a {@link Compute} that asks this client to run {@code computation}. */
  <T> Future<T> call(Supplier<Future<?>> computation, Function<Compute, Future<T>> request) {
    String id = UUID.randomUUID().toString();
    calls.put(id, computation);
    return register()
      .compose(v -> request.apply(Compute.address(address, new JsonObject().put("call", id))))
      .andThen(done -> calls.remove(id));
  }

  private synchronized Future<Void> register() {
    if (registered == null || registered.failed()) {
      consumer = bus.vertx.eventBus().consumer(address, this::compute);
      registered = consumer.completion();
    }
    return registered;
  }

  /** Unregisters the consumer, if there is one. */
  synchronized Future<Void> close() {
    MessageConsumer<JsonObject> c = consumer;
    consumer = null;
    registered = null;
    return c == null ? Future.succeededFuture() : c.unregister();
  }

  private void compute(Message<JsonObject> msg) {
    JsonObject body = msg.body();
    Supplier<Future<?>> computation = body == null ? null : calls.get(body.getString("call"));
    if (computation == null) {
      msg.fail(404, "no computation waits for this call (it ended already)");
      return;
    }
    Future<?> value;
    try {
      value = computation.get();
    } catch (RuntimeException e) {
      value = Future.failedFuture(e);
    }
    value.onComplete(ar -> {
      if (ar.succeeded()) {
        msg.reply(Values.json(ar.result()));
      } else if (ar.cause() instanceof StewardException se) {
        msg.fail(se.code(), se.getMessage());
      } else {
        msg.fail(500, "the compute function failed: " + ar.cause());
      }
    });
  }
}
