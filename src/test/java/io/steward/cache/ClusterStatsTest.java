package io.steward.cache;

import io.vertx.core.json.JsonObject;
import org.junit.jupiter.api.Test;

import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

import static org.assertj.core.api.Assertions.assertThat;

class ClusterStatsTest {

  @Test
  void the_shares_of_the_nodes_add_up() {
    Map<String, JsonObject> shares = new LinkedHashMap<>();
    shares.put("n1", new JsonObject().put("hits", 3).put("misses", 1).put("puts", 2).put("evictions", 5)
      .put("expirations", 1).put("ownedEntries", 10).put("backupEntries", 12)
      .put("nearCache", new JsonObject().put("hits", 7).put("misses", 1).put("entries", 4).put("invalidations", 2)));
    shares.put("n2", new JsonObject().put("hits", 1).put("misses", 3).put("puts", 0).put("evictions", 0)
      .put("expirations", 2).put("ownedEntries", 12).put("backupEntries", 10));
    JsonObject total = ClusterStats.sum("users", shares, List.of("n3"));
    assertThat(total.getLong("hits")).isEqualTo(4);
    assertThat(total.getLong("misses")).isEqualTo(4);
    assertThat(total.getDouble("hitRatio")).isEqualTo(0.5);
    assertThat(total.getLong("evictions")).isEqualTo(5);
    assertThat(total.getLong("expirations")).isEqualTo(3);
    assertThat(total.getLong("ownedEntries")).isEqualTo(22);
    assertThat(total.getJsonObject("nearCache").getLong("hits")).isEqualTo(7);
    assertThat(total.getJsonObject("nodes").fieldNames()).containsExactly("n1", "n2");
    assertThat(total.getJsonArray("unreported")).containsExactly("n3");
  }

  @Test
  void no_reads_is_a_zero_hit_ratio() {
    JsonObject total = ClusterStats.sum("c", Map.of(), List.of());
    assertThat(total.getDouble("hitRatio")).isZero();
    assertThat(total.containsKey("nearCache")).isFalse();
  }
}
