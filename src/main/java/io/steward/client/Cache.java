package io.steward.client;

import io.vertx.core.Future;
import io.vertx.core.json.JsonObject;

import java.time.Duration;
import java.util.UUID;
import java.util.function.Function;

/**
 * One named cache (docs/cache.md): {@code client.cache("users")}. Values are JSON values: a {@code JsonObject},
 * {@code JsonArray}, string, number or boolean.
 */
public final class Cache {

  static final String CREATE = "steward.cache.create";
  static final String GET = "steward.cache.get";
  static final String PUT = "steward.cache.put";
  static final String DELETE = "steward.cache.delete";
  static final String UPDATE = "steward.cache.update";
  static final String GET_OR_COMPUTE = "steward.cache.getOrCompute";

  private final Bus bus;
  private final String name;
  private final LocalComputes local;

  Cache(Bus bus, String name, LocalComputes local) {
    this.bus = bus;
    this.name = name;
    this.local = local;
  }

  public String name() {
    return name;
  }

  /**
   * Creates the cache with {@code options} (docs/cache.md, "Cache options": {@code ttlSeconds}, {@code maxSize}, …);
   * true if it was created, false if it existed with the same options (409 with other options).
   */
  public Future<Boolean> create(JsonObject options) {
    return bus.request(CREATE, options.copy().put("name", name), true).map(o -> o.getBoolean("created", false));
  }

  /** Creates the cache with entries that expire {@code ttl} after they were written. */
  public Future<Boolean> create(Duration ttl) {
    return create(new JsonObject().put("ttlSeconds", ttl.toSeconds()));
  }

  /** The value, or null when the key has no entry. */
  public Future<Object> get(String key) {
    return bus.request(GET, keyed(key), true).map(o -> o.getBoolean("found", false) ? o.getValue("value") : null);
  }

  /** The value as a {@code type} (a record or bean is mapped by Jackson databind), or null. */
  public <T> Future<T> get(String key, Class<T> type) {
    return get(key).map(value -> Values.as(value, type));
  }

  /** Stores {@code value}: a JSON value, or an object Jackson databind maps to a JSON object. */
  public Future<Void> put(String key, Object value) {
    return bus.request(PUT, keyed(key).put("value", Values.json(value)), true).mapEmpty();
  }

  public Future<Void> put(String key, Object value, Duration ttl) {
    return bus.request(PUT, keyed(key).put("value", Values.json(value)).put("ttlSeconds", ttl.toSeconds()), true)
      .mapEmpty();
  }

  /** Whether there was an entry to delete. */
  public Future<Boolean> delete(String key) {
    return bus.request(DELETE, keyed(key), true).map(o -> o.getBoolean("deleted", false));
  }

  /**
   * Applies {@code update} atomically. The client gives it an {@code opId}, so sending it again after a 504 (or
   * with a {@link Retry}) applies it once at most: {@link Updated#duplicate()} tells a retry that found it done.
   */
  public Future<Updated> update(String key, Update update) {
    return update(key, update, UUID.randomUUID().toString());
  }

  /** {@link #update(String, Update)} with an {@code opId} of your own (the same one for every retry). */
  public Future<Updated> update(String key, Update update, String opId) {
    JsonObject body = update.toJson().put("cache", name).put("key", key).put("opId", opId);
    return bus.request(UPDATE, body, true)
      .map(o -> new Updated(o.getValue("value"), o.getString("opId"), o.getBoolean("duplicate", false)));
  }

  /** The value, computed once per cluster by {@code compute} when the key has none. */
  public Future<Computed> getOrCompute(String key, Compute compute) {
    return getOrCompute(keyed(key).put("compute", compute.toJson()));
  }

  /**
   * The value, computed once per cluster by {@code function} in this application when the key has none: the
   * computing node asks this client's own address, so other callers of the key, on any node, wait for this one.
   */
  public Future<Computed> getOrCompute(String key, Function<String, Future<?>> function) {
    return local.call(() -> function.apply(key), compute -> getOrCompute(key, compute));
  }

  private Future<Computed> getOrCompute(JsonObject body) {
    return bus.request(GET_OR_COMPUTE, body, true)
      .map(o -> new Computed(o.getValue("value"), o.getBoolean("computed", false)));
  }

  private JsonObject keyed(String key) {
    return new JsonObject().put("cache", name).put("key", key);
  }
}
