package io.steward.cache;

import io.steward.spi.Cluster;
import io.steward.spi.Persistence;
import io.steward.spi.ConfigException;
import io.steward.spi.PersistentMap;
import io.steward.spi.Setting;
import io.steward.spi.StewardModule;
import io.vertx.core.DeploymentOptions;
import io.vertx.core.Future;
import io.vertx.core.Vertx;
import io.vertx.core.json.JsonObject;

import java.util.List;

/** The clustered cache: named caches on Hazelcast maps, reached through {@code steward.cache.*} (docs/cache.md). */
public final class CacheModule implements StewardModule {

  static final String NAME = "cache";

  @Override
  public String name() {
    return NAME;
  }

  @Override
  public List<Setting> settings() {
    return CacheConfig.SETTINGS;
  }

  @Override
  public void validate(JsonObject section) {
    CacheConfig.from(section);
  }

  /** The definitions of persisted caches created at run time; the entries' maps are configured per cache. */
  @Override
  public List<PersistentMap> persistentMaps() {
    return List.of(PersistentMap.all(Caches.PERSISTED_DEFINITIONS));
  }

  @Override
  public Future<String> deploy(Vertx vertx, JsonObject section) {
    CacheConfig config = CacheConfig.from(section);
    if (Persistence.mapStoreConfig(Cluster.hazelcast(vertx)) == null) {
      for (CacheSpec spec : config.caches().values()) {
        if (spec.persist()) {
          // Not a warning: the operator asked for entries that survive a restart and would silently get none.
          return Future.failedFuture(new ConfigException("cache.caches." + spec.name() + ".persist", "is true but this "
            + "node has no store (store.kind is none): the cache would lose its entries at the next full restart. Set "
            + "store.kind to embedded or postgres on every node, or drop persist"));
        }
      }
    }
    return vertx.deployVerticle(new CacheVerticle(config), new DeploymentOptions());
  }
}
