package io.steward.cache;

import com.hazelcast.core.EntryEvent;
import com.hazelcast.map.listener.EntryAddedListener;
import com.hazelcast.map.listener.EntryEvictedListener;
import com.hazelcast.map.listener.EntryExpiredListener;
import com.hazelcast.map.listener.EntryRemovedListener;
import com.hazelcast.map.listener.EntryUpdatedListener;
import io.steward.bus.Addresses;
import io.vertx.core.Vertx;
import io.vertx.core.json.JsonObject;

/**
 * Publishes a cache's entry events on {@code steward.cache.events}. Registered on each node as a
 * <em>local</em> listener, it hears only the entries this member owns, so each event is published once, by
 * the owner. Hazelcast delivers events asynchronously and does not persist them: an event can be lost when
 * its owner dies, and a member that does not run the cache module publishes nothing for its entries.
 *
 * <p>{@code put} is a new key, {@code update} a new value for an existing key (put, replace, update, touch),
 * {@code remove}, {@code expire} (TTL or max idle) and {@code evict} (max size); {@code clear} is published
 * once by the node that cleared the cache.
 */
final class EntryEvents implements EntryAddedListener<String, CacheValue>, EntryUpdatedListener<String, CacheValue>,
  EntryRemovedListener<String, CacheValue>, EntryExpiredListener<String, CacheValue>,
  EntryEvictedListener<String, CacheValue> {

  private final Vertx vertx;
  private final String cache;
  private final String nodeId;

  EntryEvents(Vertx vertx, String cache, String nodeId) {
    this.vertx = vertx;
    this.cache = cache;
    this.nodeId = nodeId;
  }

  static JsonObject event(String cache, String kind, String key, String node) {
    JsonObject e = new JsonObject().put("cache", cache).put("event", kind);
    if (key != null) {
      e.put("key", key);
    }
    return e.put("node", node).put("at", System.currentTimeMillis());
  }

  private void publish(String kind, EntryEvent<String, CacheValue> e, boolean withValue) {
    JsonObject event = event(cache, kind, e.getKey(), nodeId);
    CacheValue value = e.getValue();
    CacheValue old = e.getOldValue();
    if (withValue && value != null) {
      event.put("value", value.value());
    }
    if (old != null) {
      event.put("oldValue", old.value());
    }
    vertx.eventBus().publish(Addresses.Cache.EVENTS, event);
  }

  private static boolean tombstone(CacheValue v) {
    return v != null && v.tombstone();
  }

  /** A tombstone merged in for a key this side lacked: no event (the key was and stays absent). */
  @Override
  public void entryAdded(EntryEvent<String, CacheValue> e) {
    if (!tombstone(e.getValue())) {
      publish("put", e, true);
    }
  }

  /**
   * A delete replaces the value with a tombstone ({@code remove}); a write over a tombstone makes a new key
   * ({@code put}, without the tombstone as {@code oldValue}).
   */
  @Override
  public void entryUpdated(EntryEvent<String, CacheValue> e) {
    boolean was = !tombstone(e.getOldValue());
    boolean is = !tombstone(e.getValue());
    if (was && is) {
      publish("update", e, true);
    } else if (was) {
      JsonObject event = event(cache, "remove", e.getKey(), nodeId);
      if (e.getOldValue() != null) {
        event.put("oldValue", e.getOldValue().value());
      }
      vertx.eventBus().publish(Addresses.Cache.EVENTS, event);
    } else if (is) {
      JsonObject event = event(cache, "put", e.getKey(), nodeId).put("value", e.getValue().value());
      vertx.eventBus().publish(Addresses.Cache.EVENTS, event);
    }
  }

  @Override
  public void entryRemoved(EntryEvent<String, CacheValue> e) {
    if (!tombstone(e.getOldValue())) {
      publish("remove", e, false);
    }
  }

  /** A tombstone's end (expiry, eviction) is no event: its key was already removed. */
  @Override
  public void entryExpired(EntryEvent<String, CacheValue> e) {
    if (!tombstone(e.getOldValue()) && !tombstone(e.getValue())) {
      publish("expire", e, false);
    }
  }

  @Override
  public void entryEvicted(EntryEvent<String, CacheValue> e) {
    if (!tombstone(e.getOldValue()) && !tombstone(e.getValue())) {
      publish("evict", e, false);
    }
  }
}
