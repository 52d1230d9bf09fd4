package io.steward.cache;

import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;

import java.util.List;
import java.util.Map;

/**
 * Adds up the nodes' shares of a cache's statistics (pure). Hits, misses and puts are counted by the node
 * that served each request; evictions and expirations by the member that owned the entry (Hazelcast's
 * per-partition counters, which start again on a partition that migrates); near-cache figures by each
 * reading node.
 */
final class ClusterStats {

  static final List<String> COUNTERS = List.of("hits", "misses", "puts", "evictions", "expirations", "ownedEntries",
    "backupEntries");
  static final List<String> NEAR_COUNTERS = List.of("hits", "misses", "entries", "invalidations");

  private ClusterStats() {
  }

  /**
   * The cluster-wide statistics from each answering node's share (node id → share); {@code unreported}
   * lists the nodes that did not answer (their share is missing from the sums).
   */
  static JsonObject sum(String cache, Map<String, JsonObject> shares, List<String> unreported) {
    JsonObject total = new JsonObject().put("cache", cache);
    for (String counter : COUNTERS) {
      long sum = 0;
      for (JsonObject share : shares.values()) {
        sum += share.getLong(counter, 0L);
      }
      total.put(counter, sum);
    }
    long reads = total.getLong("hits") + total.getLong("misses");
    total.put("hitRatio", reads == 0 ? 0.0 : (double) total.getLong("hits") / reads);
    JsonObject near = null;
    for (JsonObject share : shares.values()) {
      JsonObject n = share.getJsonObject("nearCache");
      if (n == null) {
        continue;
      }
      if (near == null) {
        near = new JsonObject();
        for (String c : NEAR_COUNTERS) {
          near.put(c, 0L);
        }
      }
      for (String c : NEAR_COUNTERS) {
        near.put(c, near.getLong(c) + n.getLong(c, 0L));
      }
    }
    if (near != null) {
      total.put("nearCache", near);
    }
    JsonObject nodes = new JsonObject();
    shares.forEach(nodes::put);
    return total.put("nodes", nodes).put("unreported", new JsonArray(List.copyOf(unreported)));
  }
}
