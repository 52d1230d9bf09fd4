package io.steward.spi;

import com.hazelcast.config.MapStoreConfig;
import com.hazelcast.core.HazelcastInstance;

/**
 * How a module makes a map it configures at run time (a cache's {@code steward.cache.<name>}) durable: it adds
 * the node's {@link MapStoreConfig} to the map's dynamic configuration. The node keeps that configuration in the
 * Hazelcast user context when it has a store ({@code store.kind} embedded or postgres), so every member builds
 * the same one. Such a map loads lazily: the module loads it ({@code IMap.size()} waits for the load) before its
 * deployment completes, so that no member joins while it loads (docs/durability.md, "When a restart misses
 * entries"). Maps known at start-up are declared with {@code StewardModule.persistentMaps()} instead.
 */
public final class Persistence {

  /** The user-context entry holding the node's write-behind {@link MapStoreConfig} (absent: no store). */
  public static final String MAP_STORE_CONFIG = "steward.store.mapStoreConfig";

  private Persistence() {
  }

  /** A copy of the node's map-store configuration to put on a map, or null when this node has no store. */
  public static MapStoreConfig mapStoreConfig(HazelcastInstance hz) {
    Object c = hz.getUserContext().get(MAP_STORE_CONFIG);
    return c instanceof MapStoreConfig m ? new MapStoreConfig(m) : null;
  }
}
