package io.steward.cache;

import io.steward.bus.Fields;
import io.steward.bus.StewardException;
import io.steward.spi.ConfigException;
import io.steward.spi.Setting;
import io.vertx.core.json.JsonObject;

import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/** The {@code cache} section, parsed once at start-up. */
record CacheConfig(
  Map<String, CacheSpec> caches,
  boolean allowCreate,
  int maxCaches,
  CacheSpec.Defaults defaults,
  int maxBatch,
  int computeTimeoutMs,
  int maxComputes,
  int updateTimeoutMs,
  int rememberedUpdates,
  int tombstoneSeconds,
  int lostPartitionHoldSeconds) {

  static final List<Setting> SETTINGS = List.of(
    Setting.json("cache.caches", new JsonObject(), "Named caches: {name: {ttlSeconds, maxIdleSeconds, maxSize, eviction, "
      + "backupCount, nearCache, nearCacheMaxSize, stats, events, maxKeyBytes, maxValueBytes, negativeTtlSeconds, persist}} (docs/cache.md)"),
    Setting.bool("cache.allowCreate", true, "Whether caches may be created at run time (steward.cache.create)"),
    Setting.integer("cache.maxCaches", 64, "Most caches the cluster may hold, declared and created"),
    Setting.integer("cache.maxKeyBytes", 512, "Largest key, UTF-8 bytes, for caches that do not set maxKeyBytes"),
    Setting.integer("cache.maxValueBytes", 262_144, "Largest value (encoded JSON, UTF-8 bytes) for caches that do not set maxValueBytes"),
    Setting.integer("cache.maxBatch", 1_000, "Most keys in one getAll or putAll"),
    Setting.integer("cache.computeTimeoutMs", 10_000, "Default timeout of a getOrCompute computation"),
    Setting.integer("cache.maxComputes", 10_000, "Keys this node may be computing or waiting on at once (429 beyond)"),
    Setting.integer("cache.updateTimeoutMs", 10_000, "How long an atomic update may take, retries after a member loss included, before 504"),
    Setting.integer("cache.rememberedUpdates", 256, "Update ids each entry remembers (16 bytes each): a retry is recognised while fewer later updates of the key happened"),
    Setting.integer("cache.tombstoneSeconds", 600, "How long a deleted key keeps a hidden tombstone, so that a split-brain merge cannot bring it back with an older copy: a split that lasts longer can (docs/cache.md)"),
    Setting.integer("cache.lostPartitionHoldSeconds", 120, "With cluster.minimumSize: how long writes of a key whose every copy left this side at once (the WARN 'Partitions lost') are refused (503) unless a split-brain merge brings the copies back first; 0 takes them at once, and a merge may then lose the other side's copies (docs/cache.md)")
  );

  static CacheConfig from(JsonObject s) {
    CacheSpec.Defaults defaults = new CacheSpec.Defaults(
      range(s, "maxKeyBytes", 1, CacheSpec.MAX_KEY_BYTES),
      range(s, "maxValueBytes", 16, CacheSpec.MAX_VALUE_BYTES));
    int maxCaches = range(s, "maxCaches", 1, 10_000);
    JsonObject declared = s.getJsonObject("caches", new JsonObject());
    if (declared.size() > maxCaches) {
      throw new ConfigException("cache.caches", "declares " + declared.size() + " caches, more than cache.maxCaches ("
        + maxCaches + ")");
    }
    Map<String, CacheSpec> caches = new LinkedHashMap<>();
    for (String name : declared.fieldNames()) {
      caches.put(name, declared(name, declared.getValue(name), defaults));
    }
    return new CacheConfig(Map.copyOf(caches), s.getBoolean("allowCreate", true), maxCaches, defaults,
      range(s, "maxBatch", 1, 100_000),
      range(s, "computeTimeoutMs", 1, 3_600_000),
      range(s, "maxComputes", 1, 1_000_000),
      range(s, "updateTimeoutMs", 100, 600_000),
      range(s, "rememberedUpdates", 1, 10_000),
      range(s, "tombstoneSeconds", 1, CacheSpec.MAX_SECONDS),
      range(s, "lostPartitionHoldSeconds", 0, 86_400));
  }

  private static CacheSpec declared(String name, Object options, CacheSpec.Defaults defaults) {
    String path = "cache.caches." + name;
    try {
      CacheSpec.checkName(path, name);
      if (!(options instanceof JsonObject o)) {
        throw StewardException.badRequest(path, "must be a JSON object of options, got " + Fields.typeName(options));
      }
      return CacheSpec.read(name, Fields.nested(o.copy(), path), defaults);
    } catch (StewardException e) {
      String field = e.field() != null ? e.field() : path;
      String message = e.getMessage();
      throw new ConfigException(field, message.startsWith(field + ": ") ? message.substring(field.length() + 2) : message);
    }
  }

  private static int range(JsonObject s, String key, int min, int max) {
    Integer v = s.getInteger(key);
    if (v == null) {
      throw new ConfigException("cache." + key, "is required");
    }
    if (v < min || v > max) {
      throw new ConfigException("cache." + key, "must be between " + min + " and " + max + ", got " + v);
    }
    return v;
  }
}
