package io.steward.cache;

import io.steward.spi.ConfigException;
import io.steward.node.StewardNode;
import io.vertx.core.json.JsonObject;
import org.junit.jupiter.api.Test;

import java.util.List;
import java.util.Map;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

/** The cache section is read once, and a wrong key stops start-up with its path in the message. */
class CacheConfigTest {

  private static JsonObject config(JsonObject cache) {
    return new JsonObject().put("cache", cache);
  }

  private static CacheConfig parse(JsonObject cache) {
    return CacheConfig.from(StewardNode.configLoader().resolve(config(cache), Map.of(), Map.of()).section("cache"));
  }

  @Test
  void declared_caches_get_defaults_and_their_options() {
    CacheConfig c = parse(new JsonObject().put("caches", new JsonObject()
      .put("users", new JsonObject().put("ttlSeconds", 300).put("maxSize", 10_000).put("eviction", "LFU").put("nearCache", true))
      .put("sessions", new JsonObject().put("maxIdleSeconds", 1800).put("backupCount", 2))));
    CacheSpec users = c.caches().get("users");
    assertThat(users.ttlSeconds()).isEqualTo(300);
    assertThat(users.eviction()).isEqualTo("LFU");
    assertThat(users.nearCache()).isTrue();
    assertThat(users.backupCount()).isEqualTo(1);
    assertThat(users.maxValueBytes()).isEqualTo(262_144);
    assertThat(c.caches().get("sessions").backupCount()).isEqualTo(2);
    assertThat(c.computeTimeoutMs()).isEqualTo(10_000);
    assertThat(CacheSpec.fromJson("users", users.toJson())).isEqualTo(users);
  }

  @Test
  void a_bad_cache_option_names_its_path() {
    assertThatThrownBy(() -> parse(new JsonObject().put("caches", new JsonObject()
      .put("users", new JsonObject().put("ttlSeconds", -1)))))
      .isInstanceOf(ConfigException.class)
      .satisfies(e -> assertThat(((ConfigException) e).key()).isEqualTo("cache.caches.users.ttlSeconds"));
    assertThatThrownBy(() -> parse(new JsonObject().put("caches", new JsonObject()
      .put("users", new JsonObject().put("tll", 5)))))
      .hasMessageContaining("cache.caches.users.tll: unknown field");
    assertThatThrownBy(() -> parse(new JsonObject().put("caches", new JsonObject().put("bad name", new JsonObject()))))
      .hasMessageContaining("cache.caches.bad name: must be 1 to 64 letters");
    assertThatThrownBy(() -> parse(new JsonObject().put("caches", new JsonObject().put("users", 5))))
      .hasMessageContaining("cache.caches.users: must be a JSON object");
    assertThatThrownBy(() -> parse(new JsonObject().put("maxCaches", 0))).hasMessageContaining("cache.maxCaches");
    assertThatThrownBy(() -> parse(new JsonObject().put("caches", new JsonObject()
      .put("users", new JsonObject().put("nearCache", true).put("maxIdleSeconds", 60)))))
      .hasMessageContaining("cache.caches.users.nearCache: cannot be combined with maxIdleSeconds");
    assertThatThrownBy(() -> parse(new JsonObject().put("caches", new JsonObject()
      .put("users", new JsonObject().put("persist", "yes")))))
      .isInstanceOf(ConfigException.class)
      .satisfies(e -> assertThat(((ConfigException) e).key()).isEqualTo("cache.caches.users.persist"));
  }

  @Test
  void a_persisted_cache_gets_the_nodes_store_and_keeps_persist_in_its_definition() {
    CacheSpec spec = parse(new JsonObject().put("caches", new JsonObject()
      .put("kept", new JsonObject().put("persist", true)))).caches().get("kept");
    assertThat(spec.persist()).isTrue();
    assertThat(spec.toJson().getBoolean("persist")).isTrue();
    assertThat(CacheSpec.fromJson("kept", spec.toJson())).isEqualTo(spec);
    var store = new com.hazelcast.config.MapStoreConfig().setEnabled(true).setClassName("x.Store").setWriteDelaySeconds(1);
    var map = MapConfigs.of(spec, new com.hazelcast.config.MapConfig("steward.*"), store);
    assertThat(map.getMapStoreConfig()).isEqualTo(store);
    assertThat(MapConfigs.computing(spec, new com.hazelcast.config.MapConfig("steward.*")).getMapStoreConfig().isEnabled())
      .as("getOrCompute's claims stay in memory").isFalse();
  }

  @Test
  void the_map_configuration_follows_the_definition() {
    CacheSpec spec = parse(new JsonObject().put("caches", new JsonObject()
      .put("users", new JsonObject().put("ttlSeconds", 60).put("maxSize", 500).put("eviction", "LFU")
        .put("backupCount", 2).put("nearCache", true).put("nearCacheMaxSize", 100)))).caches().get("users");
    var base = new com.hazelcast.config.MapConfig("steward.*").setPerEntryStatsEnabled(true);
    var store = new com.hazelcast.config.MapStoreConfig().setEnabled(true).setClassName("x.Store");
    var map = MapConfigs.of(spec, base, store);
    assertThat(map.getName()).isEqualTo("steward.cache.users");
    assertThat(map.getTimeToLiveSeconds()).isEqualTo(60);
    assertThat(map.getBackupCount()).isEqualTo(2);
    assertThat(map.getEvictionConfig().getSize()).isEqualTo(500);
    assertThat(map.getEvictionConfig().getEvictionPolicy().name()).isEqualTo("LFU");
    assertThat(map.getEvictionConfig().getMaxSizePolicy().name()).isEqualTo("PER_NODE");
    assertThat(map.getNearCacheConfig().getEvictionConfig().getSize()).isEqualTo(100);
    assertThat(map.getNearCacheConfig().getTimeToLiveSeconds()).as("a near-cached copy never outlives the TTL").isEqualTo(60);
    assertThat(map.isPerEntryStatsEnabled()).as("kept from cluster.xml's steward.*").isTrue();
    assertThat(map.getMapStoreConfig().isEnabled()).as("no store without persist, whatever the node has").isFalse();
    assertThat(MapConfigs.of(spec, base, store)).as("the same on every node").isEqualTo(map);
    assertThat(List.of(MapConfigs.computing(spec, base).getName())).containsExactly("steward.cache-computing.users");
  }
}
