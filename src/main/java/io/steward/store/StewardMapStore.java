package io.steward.store;

import com.hazelcast.core.HazelcastInstance;
import com.hazelcast.map.EntryStore;
import com.hazelcast.map.MapLoaderLifecycleSupport;

import java.util.Collection;
import java.util.HashMap;
import java.util.Map;
import java.util.Properties;

/**
 * What Hazelcast calls for a persisted map, on each full member for the partitions it owns: write-behind
 * batches of changes ({@link #storeAll}, {@link #deleteAll}), and at the cluster's first use of the map, its
 * keys and entries ({@link #loadAllKeys}, {@link #loadAll}). Hazelcast makes one per map from the class name in
 * the map's configuration and hands it the member's instance, through which it finds the node's {@link Store}.
 *
 * <p>The database is read only by that initial load: afterwards memory is the truth, so a miss
 * ({@link #load}) never waits for the database and works while it is down. Expiry travels with each entry
 * ({@link EntryStore}), so a record kept ten minutes is still kept ten minutes after a restart.
 */
final class StewardMapStore implements EntryStore<Object, Object>, MapLoaderLifecycleSupport {

  private Store store;
  private Store.MapHandle map;

  @Override
  public void init(HazelcastInstance hz, Properties properties, String mapName) {
    store = Store.of(hz);
    map = store.handle(mapName, hz);
  }

  @Override
  public void destroy() {
    // the node closes the store after Hazelcast has stopped (and flushed)
  }

  @Override
  public MetadataAwareValue<Object> load(Object key) {
    return null;
  }

  @Override
  public Map<Object, MetadataAwareValue<Object>> loadAll(Collection<Object> keys) {
    return store.loadAll(map, keys);
  }

  @Override
  public Iterable<Object> loadAllKeys() {
    return store.loadAllKeys(map);
  }

  @Override
  public void store(Object key, MetadataAwareValue<Object> value) {
    Map<Object, MetadataAwareValue<Object>> one = new HashMap<>(2);
    one.put(key, value);
    store.write(map, one);
  }

  @Override
  public void storeAll(Map<Object, MetadataAwareValue<Object>> entries) {
    store.write(map, entries);
  }

  @Override
  public void delete(Object key) {
    store.delete(map, new java.util.ArrayList<>(java.util.List.of(key)));
  }

  @Override
  public void deleteAll(Collection<Object> keys) {
    store.delete(map, keys);
  }
}
