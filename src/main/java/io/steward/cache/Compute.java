package io.steward.cache;

import io.steward.bus.Door;
import io.steward.bus.Fields;
import io.steward.bus.StewardException;
import io.vertx.core.Future;
import io.vertx.core.eventbus.Message;
import io.vertx.core.json.JsonObject;

/**
 * {@code getOrCompute}: {@code {cache, key, compute: {address, body?} | {task, payload?}, timeoutMs?,
 * ttlSeconds?}} → {@code {value, computed}}. See {@link SingleFlight} for how the computation runs once.
 */
final class Compute {

  private final Caches caches;
  private final SingleFlight flights;
  private final CacheConfig config;

  Compute(Caches caches, SingleFlight flights, CacheConfig config) {
    this.caches = caches;
    this.flights = flights;
    this.config = config;
  }

  Future<JsonObject> handle(Message<Object> msg) {
    Fields f = Fields.of(msg.body());
    String cache = f.string("cache");
    String key = f.string("key");
    JsonObject compute = f.object("compute");
    long timeoutMs = f.longValue("timeoutMs", config.computeTimeoutMs(), 1, 3_600_000);
    Long ttl = f.optionalLong("ttlSeconds", 0, CacheSpec.MAX_SECONDS);
    f.done();
    if (compute == null) {
      throw StewardException.badRequest("compute", "is required: {address, body?} to ask an event-bus address, or "
        + "{task, payload?} to run a task");
    }
    Computation computation = Computation.read(compute);
    Door door = Door.from(msg.headers());
    if (door != null) {
      computation = computation.throughDoor(door);
    }
    Computation chosen = computation;
    return caches.handle(cache).compose(h -> {
      h.key("key", key);
      String held = caches.held(h, key);
      if (held != null) {
        throw StewardException.unavailable("getOrCompute of '" + key + "' in cache '" + h.name() + "' refused (it "
          + "would store a value): " + held);
      }
      return flights.getOrCompute(h, key, chosen, timeoutMs, ttl == null ? -1 : ttl.intValue()).map(r -> {
        h.read(!r.computed());
        return new JsonObject().put("value", r.value()).put("computed", r.computed());
      });
    });
  }
}
