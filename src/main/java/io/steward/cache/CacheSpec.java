package io.steward.cache;

import io.steward.bus.Fields;
import io.steward.bus.StewardException;
import io.vertx.core.json.JsonObject;

import java.util.List;
import java.util.regex.Pattern;

/**
 * One named cache: how long entries live, how many a member keeps, how many copies the cluster keeps, and
 * which Steward features it uses. Declared in {@code cache.caches} or created at run time; the cluster keeps
 * one definition per name (the registry map), and every node builds the same Hazelcast map configuration
 * from it ({@link MapConfigs}).
 *
 * @param ttlSeconds         default time to live of an entry (0: none); Hazelcast counts whole seconds
 * @param maxIdleSeconds     an entry not read or written for this long expires (0: never); reads touch it
 * @param maxSize            entries per member before eviction (0: unbounded); approximate, per partition
 * @param eviction           which entries go first when {@code maxSize} is reached: LRU or LFU
 * @param backupCount        synchronous backups of every entry on other members
 * @param nearCache          keep read entries on each reading node too (invalidated asynchronously)
 * @param nearCacheMaxSize   entries a node's near cache holds (LRU)
 * @param stats              count hits, misses, puts, evictions and expirations
 * @param events             publish entry events on {@code steward.cache.events}
 * @param maxKeyBytes        largest key, UTF-8 bytes
 * @param maxValueBytes      largest value, encoded JSON in UTF-8 bytes
 * @param negativeTtlSeconds a failed computation is remembered this long (0: not at all)
 * @param persist            write the entries to the node's store (docs/durability.md) so that they survive a
 *                           full restart of the cluster; needs {@code store.kind} embedded or postgres
 */
record CacheSpec(
  String name,
  int ttlSeconds,
  int maxIdleSeconds,
  int maxSize,
  String eviction,
  int backupCount,
  boolean nearCache,
  int nearCacheMaxSize,
  boolean stats,
  boolean events,
  int maxKeyBytes,
  int maxValueBytes,
  int negativeTtlSeconds,
  boolean persist) {

  /** Letters, digits, '_' and '-', starting with a letter or digit: safe in map names, addresses and URLs. */
  public static final Pattern NAME = Pattern.compile("[A-Za-z0-9][A-Za-z0-9_-]{0,63}");
  public static final List<String> EVICTIONS = List.of("LRU", "LFU");
  static final int MAX_SECONDS = 2_000_000_000;
  static final int MAX_BACKUPS = 6;
  static final int MAX_KEY_BYTES = 65_536;
  static final int MAX_VALUE_BYTES = 64 * 1024 * 1024;

  /** The limits a cache gets when its definition does not set them (the {@code cache.*} settings). */
  public record Defaults(int maxKeyBytes, int maxValueBytes) {
  }

  /** Checks a cache name; the 400 names {@code field}. */
  static String checkName(String field, String name) {
    if (name == null || !NAME.matcher(name).matches()) {
      throw StewardException.badRequest(field, "must be 1 to 64 letters, digits, '_' or '-', starting with a "
        + "letter or digit, got '" + name + "'");
    }
    return name;
  }

  /**
   * Reads a definition. {@code f} holds the options (and nothing else: unknown fields are refused); errors
   * name the fields with {@code f}'s prefix.
   */
  static CacheSpec read(String name, Fields f, Defaults defaults) {
    int ttl = f.integer("ttlSeconds", 0, 0, MAX_SECONDS);
    int maxIdle = f.integer("maxIdleSeconds", 0, 0, MAX_SECONDS);
    int maxSize = f.integer("maxSize", 0, 0, Integer.MAX_VALUE);
    String eviction = f.oneOf("eviction", "LRU", EVICTIONS);
    int backups = f.integer("backupCount", 1, 0, MAX_BACKUPS);
    boolean near = f.bool("nearCache", false);
    boolean nearMaxGiven = f.has("nearCacheMaxSize");
    int nearMax = f.integer("nearCacheMaxSize", 10_000, 1, Integer.MAX_VALUE);
    boolean stats = f.bool("stats", true);
    boolean events = f.bool("events", false);
    int maxKey = f.integer("maxKeyBytes", defaults.maxKeyBytes(), 1, MAX_KEY_BYTES);
    int maxValue = f.integer("maxValueBytes", defaults.maxValueBytes(), 16, MAX_VALUE_BYTES);
    int negativeTtl = f.integer("negativeTtlSeconds", 0, 0, 86_400);
    boolean persist = f.bool("persist", false);
    f.done();
    if (near && maxIdle > 0) {
      throw f.bad("nearCache", "cannot be combined with maxIdleSeconds: reads served by a near cache never "
        + "reach the entry's owner, so idle expiry would remove entries that are being read");
    }
    if (nearMaxGiven && !near) {
      throw f.bad("nearCacheMaxSize", "is only meaningful with nearCache: true");
    }
    return new CacheSpec(name, ttl, maxIdle, maxSize, eviction, backups, near, nearMax, stats, events, maxKey,
      maxValue, negativeTtl, persist);
  }

  /** The definition with every option spelled out, as the registry keeps it and {@code list} shows it. */
  public JsonObject toJson() {
    JsonObject json = new JsonObject()
      .put("ttlSeconds", ttlSeconds)
      .put("maxIdleSeconds", maxIdleSeconds)
      .put("maxSize", maxSize)
      .put("eviction", eviction)
      .put("backupCount", backupCount)
      .put("nearCache", nearCache);
    if (nearCache) {
      json.put("nearCacheMaxSize", nearCacheMaxSize);
    }
    return json.put("stats", stats)
      .put("events", events)
      .put("maxKeyBytes", maxKeyBytes)
      .put("maxValueBytes", maxValueBytes)
      .put("negativeTtlSeconds", negativeTtlSeconds)
      .put("persist", persist);
  }

  /** Reads a definition the registry holds (written by {@link #toJson()}). */
  static CacheSpec fromJson(String name, JsonObject json) {
    return read(name, Fields.nested(json.copy(), ""), new Defaults(MAX_KEY_BYTES, MAX_VALUE_BYTES));
  }

  /** The Hazelcast map holding the entries. */
  String mapName() {
    return mapName(name);
  }

  static String mapName(String cache) {
    return "steward.cache." + cache;
  }

  /** The Hazelcast map holding computations in progress (and remembered failures) of {@code getOrCompute}. */
  String computingMapName() {
    return "steward.cache-computing." + name;
  }
}
