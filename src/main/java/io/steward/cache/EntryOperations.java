package io.steward.cache;

import com.hazelcast.aggregation.Aggregators;
import com.hazelcast.cluster.Member;
import io.steward.bus.Addresses;
import io.steward.bus.Failure;
import io.steward.bus.Fields;
import io.steward.bus.StewardException;
import io.vertx.core.Future;
import io.vertx.core.Vertx;
import io.vertx.core.eventbus.Message;
import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;

import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;

/**
 * The reads and writes of entries: each validates its body, then makes one asynchronous Hazelcast call (or
 * an entry processor on the key's owner) from the event loop, and replies from the thread the result arrives
 * on ({@link Hz#direct}: nothing here is confined to the event loop). {@code clear} and {@code size} have no
 * async form in Hazelcast and run on a worker thread.
 */
final class EntryOperations {

  private final Vertx vertx;
  private final Caches caches;
  private final CacheConfig config;
  private final String nodeId;

  EntryOperations(Vertx vertx, Caches caches, CacheConfig config, String nodeId) {
    this.vertx = vertx;
    this.caches = caches;
    this.config = config;
    this.nodeId = nodeId;
  }

  /** {@code {cache, key}} → {@code {found, value?}}. */
  Future<JsonObject> get(Message<Object> msg) {
    Fields f = Fields.of(msg.body());
    String cache = f.string("cache");
    String key = f.string("key");
    f.done();
    return caches.handle(cache).compose(h -> {
      h.key("key", key);
      CacheValue near = h.nearCached(key);
      if (near != null) {
        CacheValue v = CacheValue.live(near);
        h.read(v != null);
        return Future.succeededFuture(v == null ? new JsonObject().put("found", false) : found(v));
      }
      return Hz.direct(h.values().getAsync(key)).transform(ar -> {
        if (ar.failed()) {
          return Future.failedFuture(Hz.translate(ar.cause(), "get of '" + key + "'", false));
        }
        CacheValue v = CacheValue.live(ar.result());
        h.read(v != null);
        return Future.succeededFuture(v == null ? new JsonObject().put("found", false) : found(v));
      });
    });
  }

  private static JsonObject found(CacheValue v) {
    return new JsonObject().put("found", true).put("value", v.value());
  }

  /** {@code {cache, keys: [..]}} → {@code {entries: {key: value}, missing: [..]}}. */
  Future<JsonObject> getAll(Message<Object> msg) {
    Fields f = Fields.of(msg.body());
    String cache = f.string("cache");
    JsonArray keys = f.array("keys");
    f.done();
    if (keys == null) {
      throw StewardException.badRequest("keys", "is required (an array of keys)");
    }
    return caches.handle(cache).compose(h -> {
      Set<String> wanted = keys(h, keys);
      List<String> order = new ArrayList<>(wanted);
      List<Future<CacheValue>> reads = new ArrayList<>(order.size());
      for (String key : order) {
        reads.add(Hz.direct(h.values().getAsync(key)));
      }
      return Future.all(reads).transform(ar -> {
        if (ar.failed()) {
          return Future.failedFuture(Hz.translate(ar.cause(), "getAll", false));
        }
        JsonObject entries = new JsonObject();
        JsonArray missing = new JsonArray();
        for (int i = 0; i < order.size(); i++) {
          CacheValue v = CacheValue.live(reads.get(i).result());
          h.read(v != null);
          if (v == null) {
            missing.add(order.get(i));
          } else {
            entries.put(order.get(i), v.value());
          }
        }
        return Future.succeededFuture(new JsonObject().put("entries", entries).put("missing", missing));
      });
    });
  }

  private Set<String> keys(CacheHandle h, JsonArray keys) {
    if (keys.size() > config.maxBatch()) {
      throw StewardException.badRequest("keys", "has " + keys.size() + " keys, over the limit of " + config.maxBatch()
        + " (cache.maxBatch)");
    }
    Set<String> out = new LinkedHashSet<>();
    for (int i = 0; i < keys.size(); i++) {
      Object k = keys.getValue(i);
      if (!(k instanceof String s) || s.isBlank()) {
        throw StewardException.badRequest("keys[" + i + "]", "must be a non-blank string, got " + Fields.typeName(k));
      }
      out.add(h.key("keys[" + i + "]", s));
    }
    return out;
  }

  /** {@code {cache, key, value, ttlSeconds?}} → null (HTTP 204). */
  Future<Object> put(Message<Object> msg) {
    Fields f = Fields.of(msg.body());
    String cache = f.string("cache");
    String key = f.string("key");
    Object value = f.value("value");
    Integer ttl = ttl(f);
    f.done();
    return caches.handle(cache).compose(h -> {
      h.key("key", key);
      var put = new Processors.Put(h.value("value", value), ttl == null ? -1 : ttl, h.stamp());
      String what = "put of '" + key + "'";
      Member owner = caches.owner(key);
      return caches.write(h, key, put).transform(ar -> {
        if (ar.failed()) {
          return Future.failedFuture(caches.writeFailure(ar.cause(), what, owner));
        }
        h.stored(1);
        return caches.confirmed(h, what, ar.result(), null);
      });
    });
  }

  /** {@code {cache, entries: {key: value}, ttlSeconds?}} → {@code {stored}}. */
  Future<JsonObject> putAll(Message<Object> msg) {
    Fields f = Fields.of(msg.body());
    String cache = f.string("cache");
    JsonObject entries = f.object("entries");
    Integer ttl = ttl(f);
    f.done();
    if (entries == null) {
      throw StewardException.badRequest("entries", "is required (an object of key: value)");
    }
    if (entries.size() > config.maxBatch()) {
      throw StewardException.badRequest("entries", "has " + entries.size() + " entries, over the limit of "
        + config.maxBatch() + " (cache.maxBatch)");
    }
    return caches.handle(cache).compose(h -> {
      Map<String, String> batch = new LinkedHashMap<>();
      for (String key : entries.fieldNames()) {
        if (key.isBlank()) {
          throw StewardException.badRequest("entries", "keys must not be blank");
        }
        h.key("entries." + key, key);
        batch.put(key, h.value("entries." + key, entries.getValue(key)));
      }
      if (batch.isEmpty()) {
        return Future.succeededFuture(new JsonObject().put("stored", 0));
      }
      for (String k : batch.keySet()) {
        String held = caches.held(h, k);
        if (held != null) {
          return Future.failedFuture(StewardException.unavailable("putAll of " + batch.size() + " entries in cache '"
            + h.name() + "' refused for key '" + k + "': " + held));
        }
      }
      // One entry processor per key, not setAll: each write keeps the update ids its entry remembers.
      List<String> order = new ArrayList<>(batch.keySet());
      List<Member> owners = new ArrayList<>(order.size());
      List<Future<String>> puts = new ArrayList<>(order.size());
      long stamp = h.stamp();
      for (String k : order) {
        owners.add(caches.owner(k));
        puts.add(caches.write(h, k, new Processors.Put(batch.get(k), ttl == null ? -1 : ttl, stamp)));
      }
      return Future.join(puts).transform(x -> allWritten(h, order, owners, puts));
    });
  }

  /** {@code {cache, key, value, ttlSeconds?}} → {@code {stored: true}} or {@code {stored: false, value}}. */
  Future<JsonObject> putIfAbsent(Message<Object> msg) {
    Fields f = Fields.of(msg.body());
    String cache = f.string("cache");
    String key = f.string("key");
    Object value = f.value("value");
    Integer ttl = ttl(f);
    f.done();
    return caches.handle(cache).compose(h -> {
      h.key("key", key);
      String json = h.value("value", value);
      var op = new Processors.PutIfAbsent(json, ttl == null ? -1 : ttl, h.stamp());
      String what = "putIfAbsent of '" + key + "'";
      Member owner = caches.owner(key);
      return caches.write(h, key, op).transform(ar -> {
        if (ar.failed()) {
          return Future.failedFuture(caches.writeFailure(ar.cause(), what, owner));
        }
        if (ar.result() == null) {
          h.stored(1);
          return caches.confirmed(h, what, null, new JsonObject().put("stored", true));
        }
        return Future.succeededFuture(new JsonObject().put("stored", false).put("value", JsonValues.decode(ar.result())));
      });
    });
  }

  /** {@code {cache, key, expected, value, ttlSeconds?}} → {@code {replaced: true}}, or 409 when the value differs. */
  Future<JsonObject> replace(Message<Object> msg) {
    Fields f = Fields.of(msg.body());
    String cache = f.string("cache");
    String key = f.string("key");
    Object expected = f.value("expected");
    Object value = f.value("value");
    Integer ttl = ttl(f);
    f.done();
    return caches.handle(cache).compose(h -> {
      h.key("key", key);
      String expectedJson = JsonValues.encode("expected", expected, Integer.MAX_VALUE, "none");
      String json = h.value("value", value);
      var op = new Processors.Replace(expectedJson, json, ttl == null ? -1 : ttl, h.stamp());
      String what = "replace of '" + key + "'";
      Member owner = caches.owner(key);
      return caches.write(h, key, op).transform(ar -> {
        if (ar.failed()) {
          return Future.failedFuture(caches.writeFailure(ar.cause(), what, owner));
        }
        String[] r = ar.result();
        if (!Processors.OK.equals(r[0])) {
          return Future.failedFuture(StewardException.conflict("replace of '" + key + "' in cache '" + cache + "' lost: "
            + (r[1] == null ? "there is no entry" : "the entry holds another value than expected") + "; read it, then decide"));
        }
        h.stored(1);
        return caches.confirmed(h, what, null, new JsonObject().put("replaced", true));
      });
    });
  }

  /**
   * {@code {cache, key}} → {@code {deleted}}. The value makes way for a tombstone ({@link Processors.Delete}) kept
   * {@code cache.tombstoneSeconds}, so that a split-brain merge cannot bring an older copy back.
   */
  Future<JsonObject> delete(Message<Object> msg) {
    Fields f = Fields.of(msg.body());
    String cache = f.string("cache");
    String key = f.string("key");
    f.done();
    return caches.handle(cache).compose(h -> {
      h.key("key", key);
      String what = "delete of '" + key + "'";
      Member owner = caches.owner(key);
      var op = new Processors.Delete(h.stamp(), config.tombstoneSeconds());
      return caches.write(h, key, op).transform(ar -> ar.failed()
        ? Future.failedFuture(caches.writeFailure(ar.cause(), what, owner))
        : caches.confirmed(h, what, null, new JsonObject().put("deleted", ar.result())));
    });
  }

  /** {@code {cache, key, ttlSeconds?}} → {@code {touched}}: the entry's TTL and idle time start again. */
  Future<JsonObject> touch(Message<Object> msg) {
    Fields f = Fields.of(msg.body());
    String cache = f.string("cache");
    String key = f.string("key");
    Integer ttl = ttl(f);
    f.done();
    return caches.handle(cache).compose(h -> {
      h.key("key", key);
      var op = new Processors.Touch(ttl == null ? h.spec().ttlSeconds() : ttl);
      Member owner = caches.owner(key);
      return caches.write(h, key, op).transform(ar -> ar.failed()
        ? Future.failedFuture(caches.writeFailure(ar.cause(), "touch of '" + key + "'", owner))
        : Future.succeededFuture(new JsonObject().put("touched", ar.result())));
    });
  }

  /** {@code {cache}} → {@code {cleared: true}}; publishes one {@code clear} event if the cache has events. */
  Future<JsonObject> clear(Message<Object> msg) {
    Fields f = Fields.of(msg.body());
    String cache = f.string("cache");
    f.done();
    return caches.handle(cache).compose(h -> vertx.executeBlocking(() -> {
      h.values().clear();
      return null;
    }, false).transform(ar -> {
      if (ar.failed()) {
        return Future.failedFuture(Hz.translate(ar.cause(), "clear of cache '" + cache + "'", true));
      }
      if (h.spec().events()) {
        vertx.eventBus().publish(Addresses.Cache.EVENTS, EntryEvents.event(cache, "clear", null, nodeId));
      }
      return Future.succeededFuture(new JsonObject().put("cleared", true));
    }));
  }

  /**
   * {@code {cache}} → {@code {size}}: entries in the cluster now, tombstones not counted: a query that reads every
   * entry on its owner (Hazelcast's own count would include the tombstones).
   */
  Future<JsonObject> size(Message<Object> msg) {
    Fields f = Fields.of(msg.body());
    String cache = f.string("cache");
    f.done();
    return caches.handle(cache).compose(this::size).map(n -> new JsonObject().put("size", n));
  }

  Future<Integer> size(CacheHandle h) {
    return vertx.executeBlocking(() -> h.values().aggregate(Aggregators.count(), new Processors.Live()).intValue(), false)
      .recover(err -> Future.failedFuture(Hz.translate(err, "size of cache '" + h.name() + "'", false)));
  }

  private static Integer ttl(Fields f) {
    Long ttl = f.optionalLong("ttlSeconds", 0, CacheSpec.MAX_SECONDS);
    return ttl == null ? null : ttl.intValue();
  }

  /**
   * The answer to a putAll whose puts have all answered: {@code {stored}} when every one was applied for good; the
   * first refusal (503) when none was applied; else 504 INDETERMINATE (some entries stored, or unknown).
   */
  private Future<JsonObject> allWritten(CacheHandle h, List<String> keys, List<Member> owners, List<Future<String>> puts) {
    int stored = 0;
    boolean unknown = false;
    String first = null;
    Throwable refusal = null;
    for (int i = 0; i < keys.size(); i++) {
      Future<String> put = puts.get(i);
      String what = "put of '" + keys.get(i) + "'";
      if (put.succeeded()) {
        stored++;
        String why = caches.unconfirmed(h, put.result());
        if (why != null) {
          unknown = true;
          first = first == null ? what + " was applied, but " + why : first;
        }
        continue;
      }
      Throwable err = caches.writeFailure(put.cause(), what, owners.get(i));
      unknown |= err instanceof StewardException se && se.failure() == Failure.INDETERMINATE;
      refusal = refusal == null ? err : refusal;
      first = first == null ? err.getMessage() : first;
    }
    h.stored(stored);
    if (first == null) {
      return Future.succeededFuture(new JsonObject().put("stored", stored));
    }
    if (stored == 0 && !unknown) {
      return Future.failedFuture(refusal);
    }
    return Future.failedFuture(StewardException.indeterminate("putAll of " + keys.size() + " entries in cache '"
      + h.name() + "': " + stored + " answered stored, and the outcome of the others, or whether they stay, is unknown ("
      + first + "); read them before retrying"));
  }
}
