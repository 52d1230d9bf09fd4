package io.steward.cache;

import com.hazelcast.config.EvictionConfig;
import com.hazelcast.config.EvictionPolicy;
import com.hazelcast.config.InMemoryFormat;
import com.hazelcast.config.MapConfig;
import com.hazelcast.config.MapStoreConfig;
import com.hazelcast.config.MaxSizePolicy;
import com.hazelcast.config.MergePolicyConfig;
import com.hazelcast.config.NearCacheConfig;

/**
 * The Hazelcast map configuration of a cache, built the same way on every node from its {@link CacheSpec},
 * so that adding it as dynamic configuration twice is a no-op and a different definition is a conflict.
 * Everything not set here (split-brain protection, and a merge policy of the operator's own in place of
 * Hazelcast's latest-update one without it) comes from the {@code steward.*} map configuration in cluster.xml.
 */
final class MapConfigs {

  private static final String HAZELCAST_LATEST_UPDATE = com.hazelcast.spi.merge.LatestUpdateMergePolicy.class.getName();

  private MapConfigs() {
  }

  /**
   * The entries' map; {@code base} is the configuration Hazelcast would use for the name without ours, and
   * {@code store} the node's write-behind store configuration ({@code Persistence.mapStoreConfig}), put on the
   * map when the cache persists (null otherwise).
   */
  static MapConfig of(CacheSpec spec, MapConfig base, MapStoreConfig store) {
    MapConfig c = new MapConfig(base)
      .setName(spec.mapName())
      .setInMemoryFormat(InMemoryFormat.BINARY)
      .setBackupCount(spec.backupCount())
      .setAsyncBackupCount(0)
      .setTimeToLiveSeconds(spec.ttlSeconds())
      .setMaxIdleSeconds(spec.maxIdleSeconds())
      .setStatisticsEnabled(spec.stats())
      .setReadBackupData(false);
    EvictionConfig eviction = new EvictionConfig()
      .setMaxSizePolicy(MaxSizePolicy.PER_NODE);
    if (spec.maxSize() > 0) {
      eviction.setEvictionPolicy(EvictionPolicy.valueOf(spec.eviction())).setSize(spec.maxSize());
    } else {
      eviction.setEvictionPolicy(EvictionPolicy.NONE).setSize(Integer.MAX_VALUE);
    }
    c.setEvictionConfig(eviction);
    if (base.getSplitBrainProtectionName() != null) {
      c.setMergePolicyConfig(majorityWins(base));
    } else if (HAZELCAST_LATEST_UPDATE.equals(base.getMergePolicyConfig().getPolicy())) {
      c.setMergePolicyConfig(versions(base));
    }
    c.setMapStoreConfig(spec.persist() && store != null ? store : new MapStoreConfig().setEnabled(false));
    if (spec.nearCache()) {
      c.setNearCacheConfig(new NearCacheConfig(spec.mapName())
        .setInMemoryFormat(InMemoryFormat.OBJECT)
        .setInvalidateOnChange(true)
        .setCacheLocalEntries(true)
        .setSerializeKeys(false)
        // Expiry on the owner does not invalidate near caches: never keep a copy longer than the TTL.
        .setTimeToLiveSeconds(spec.ttlSeconds())
        .setEvictionConfig(new EvictionConfig().setEvictionPolicy(EvictionPolicy.LRU)
          .setMaxSizePolicy(MaxSizePolicy.ENTRY_COUNT).setSize(spec.nearCacheMaxSize())));
    } else {
      c.setNearCacheConfig(null);
    }
    return c;
  }

  /**
   * With split-brain protection ({@code cluster.minimumSize}) the copy of the side that kept its quorum wins a merge:
   * Hazelcast merges the smaller side into the larger one, so the entry already there is the larger side's, a
   * tombstone included (a key the larger side deleted stays deleted: campaign seed 88), and the smaller side's copy
   * only fills a key the larger side never held. Versions would let a minority's copy written in the detection window
   * (each such write answered 504) replace the majority's counter with all its acknowledged increments, whenever the
   * minority applied more writes of the key than the majority made after detection. {@link MajorityMergePolicy} keeps
   * the copy already there as Hazelcast's put-if-absent policy did, and counts the keys the two sides wrote
   * differently ({@code steward_cache_merge_conflicts}).
   */
  static MergePolicyConfig majorityWins(MapConfig base) {
    return new MergePolicyConfig(MajorityMergePolicy.class.getName(), base.getMergePolicyConfig().getBatchSize());
  }

  /**
   * Without split-brain protection the later copy wins a merge ({@link VersionMergePolicy}): entries carry a per-key
   * version and deletes leave tombstones, so neither the order in which Hazelcast merges the sides (by size, then by
   * address) nor a key one side deleted decides which copy stays.
   */
  static MergePolicyConfig versions(MapConfig base) {
    return new MergePolicyConfig(VersionMergePolicy.class.getName(), base.getMergePolicyConfig().getBatchSize());
  }

  /** The map of {@code getOrCompute}'s claims: two copies, no eviction, no near cache, nothing else. */
  static MapConfig computing(CacheSpec spec, MapConfig base) {
    return new MapConfig(base)
      .setName(spec.computingMapName())
      .setInMemoryFormat(InMemoryFormat.BINARY)
      .setBackupCount(1)
      .setAsyncBackupCount(0)
      .setTimeToLiveSeconds(0)
      .setMaxIdleSeconds(0)
      .setStatisticsEnabled(false)
      .setNearCacheConfig(null)
      .setEvictionConfig(new EvictionConfig().setEvictionPolicy(EvictionPolicy.NONE)
        .setMaxSizePolicy(MaxSizePolicy.PER_NODE).setSize(Integer.MAX_VALUE));
  }
}
