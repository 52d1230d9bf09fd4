package io.steward.cache;

import com.hazelcast.map.IMap;
import com.hazelcast.map.LocalMapStats;
import com.hazelcast.nearcache.NearCacheStats;
import io.micrometer.core.instrument.Counter;
import io.micrometer.core.instrument.FunctionCounter;
import io.micrometer.core.instrument.Gauge;
import io.micrometer.core.instrument.MeterRegistry;
import io.steward.spi.HazelcastInternals;
import io.vertx.core.json.JsonObject;

import java.util.UUID;
import java.util.function.Function;
import java.util.function.LongSupplier;

/**
 * One cache as this node uses it: its definition, its two Hazelcast maps, and this node's counters (the
 * requests it served; evictions and expirations are counted by Hazelcast on the members that own entries).
 */
final class CacheHandle {

  private final CacheSpec spec;
  private final IMap<String, CacheValue> values;
  private final IMap<String, Flight> computing;
  private final Counter hits;
  private final Counter misses;
  private final Counter puts;
  private final Function<Object, Object> nearCache;
  private final LongSupplier clock;
  private volatile UUID eventListener;

  CacheHandle(CacheSpec spec, IMap<String, CacheValue> values, IMap<String, Flight> computing, MeterRegistry meters,
              LongSupplier clock) {
    this.spec = spec;
    this.clock = clock;
    this.values = values;
    this.computing = computing;
    this.nearCache = HazelcastInternals.nearCacheReader(values);
    String name = spec.name();
    this.hits = Counter.builder("steward_cache_gets").description("Reads of a cache served by this node")
      .tag("cache", name).tag("result", "hit").register(meters);
    this.misses = Counter.builder("steward_cache_gets").description("Reads of a cache served by this node")
      .tag("cache", name).tag("result", "miss").register(meters);
    this.puts = Counter.builder("steward_cache_puts").description("Values stored through this node (put, putAll, "
      + "putIfAbsent, replace, update, computed)").tag("cache", name).register(meters);
    if (spec.stats()) {
      FunctionCounter.builder("steward_cache_evictions", values, m -> m.getLocalMapStats().getEvictionCount())
        .description("Entries evicted for size from the partitions this member owns").tag("cache", name).register(meters);
      FunctionCounter.builder("steward_cache_expirations", values, m -> m.getLocalMapStats().getExpirationCount())
        .description("Entries expired (TTL, max idle) in the partitions this member owns").tag("cache", name).register(meters);
      Gauge.builder("steward_cache_owned_entries", values, m -> m.getLocalMapStats().getOwnedEntryCount())
        .description("Entries in the partitions this member owns (the cache's size is the sum over the members)")
        .tag("cache", name).register(meters);
    }
  }

  CacheSpec spec() {
    return spec;
  }

  /** The time a write sent now carries ({@link CacheValue#stamp}): the cluster's clock (Hazelcast's cluster time). */
  long stamp() {
    return clock.getAsLong();
  }

  String name() {
    return spec.name();
  }

  IMap<String, CacheValue> values() {
    return values;
  }

  IMap<String, Flight> computing() {
    return computing;
  }

  /**
   * The value this node's near cache holds for the key, or null (no near cache, or not in it). What
   * {@code getAsync} does first, without the future it wraps a hit in (which costs a ForkJoinPool task).
   * Keys are not serialized in Steward's near caches, so the key is the string itself. May be a tombstone.
   */
  CacheValue nearCached(String key) {
    return nearCache != null && nearCache.apply(key) instanceof CacheValue v ? v : null;
  }

  void eventListener(UUID id) {
    this.eventListener = id;
  }

  UUID eventListener() {
    return eventListener;
  }

  /** Checks a key against this cache's limit (400 naming {@code field}). */
  String key(String field, String key) {
    return JsonValues.key(field, key, spec.maxKeyBytes(), "maxKeyBytes of cache '" + spec.name() + "'");
  }

  /** Encodes a value within this cache's limit (400 naming {@code field}). */
  String value(String field, Object value) {
    return JsonValues.encode(field, value, spec.maxValueBytes(), "maxValueBytes of cache '" + spec.name() + "'");
  }

  void read(boolean hit) {
    if (spec.stats()) {
      (hit ? hits : misses).increment();
    }
  }

  void stored(int count) {
    if (spec.stats()) {
      puts.increment(count);
    }
  }

  /** This node's share of the statistics. */
  JsonObject localStats() {
    JsonObject out = new JsonObject()
      .put("hits", (long) hits.count())
      .put("misses", (long) misses.count())
      .put("puts", (long) puts.count());
    LocalMapStats local = values.getLocalMapStats();
    out.put("evictions", local.getEvictionCount())
      .put("expirations", local.getExpirationCount())
      .put("ownedEntries", local.getOwnedEntryCount())
      .put("backupEntries", local.getBackupEntryCount());
    NearCacheStats near = spec.nearCache() ? local.getNearCacheStats() : null;
    if (near != null) {
      out.put("nearCache", new JsonObject().put("hits", near.getHits()).put("misses", near.getMisses())
        .put("entries", near.getOwnedEntryCount()).put("invalidations", near.getInvalidations()));
    }
    return out;
  }
}
