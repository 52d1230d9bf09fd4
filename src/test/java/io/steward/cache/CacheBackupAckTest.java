package io.steward.cache;

import com.hazelcast.cluster.Member;
import com.hazelcast.core.HazelcastInstance;
import io.steward.bus.Addresses;
import io.steward.node.StewardNode;
import io.steward.spi.Cluster;
import io.steward.testing.HeldPartitions;
import io.steward.testing.Poll;
import io.steward.testing.TestCluster;
import io.vertx.core.Future;
import io.vertx.core.eventbus.DeliveryOptions;
import io.vertx.core.eventbus.ReplyException;
import io.vertx.core.json.JsonObject;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.UUID;
import java.util.concurrent.TimeUnit;

import static io.steward.testing.Bus.entry;
import static org.assertj.core.api.Assertions.assertThat;

/**
 * Campaign seed 1001 (cache-increments: an acknowledged increment lost): four nodes with {@code cluster.minimumSize}
 * 3 split two and two; an increment sent on one side 2 s into the partition was answered 200 after 5.1 s, while its
 * node still listed four members, and the sides (each below the minimum) merged into the other side's copy. Its
 * key's backup was on the other side: Hazelcast answers a write whose synchronous backup never acknowledges as a
 * success once {@code hazelcast.operation.backup.timeout.millis} passes, so the write existed on one member only, on
 * the side whose copy lost the merge. Here the backup member stops answering (its partition threads held, as in the
 * seconds before a partition is detected): every write of a key it backs must be a 504 (applied or not, unknown),
 * never a success, and an update sent again with the same {@code opId} answers {@code duplicate: true} only once its
 * backup has it.
 */
class CacheBackupAckTest {

  private static final String BACKUP_TIMEOUT = "hazelcast.operation.backup.timeout.millis";
  private static final String CACHE = "acked";
  private static final DeliveryOptions HERE = new DeliveryOptions().setLocalOnly(true).setSendTimeout(30_000);

  private TestCluster cluster;
  private HeldPartitions held;

  @AfterEach
  void stop() throws Exception {
    if (held != null) {
      held.close();
    }
    System.clearProperty(BACKUP_TIMEOUT);
    cluster.close();
  }

  private static Future<JsonObject> request(StewardNode node, String address, JsonObject body) {
    return node.vertx().eventBus().<Object>request(address, body, HERE).map(m -> (JsonObject) m.body());
  }

  /** The failure code of {@code f} (0 when it succeeded). */
  private static int code(Future<JsonObject> f) throws Exception {
    Throwable err = f.transform(ar -> Future.succeededFuture(ar.failed() ? ar.cause() : null)).await(40, TimeUnit.SECONDS);
    if (err == null) {
      return 0;
    }
    assertThat(err).isInstanceOf(ReplyException.class);
    return ((ReplyException) err).failureCode();
  }

  @Test
  void a_cache_write_whose_backup_never_acknowledged_is_a_504_and_a_duplicate_answer_waits_for_the_backup() throws Exception {
    System.setProperty(BACKUP_TIMEOUT, "1000"); // read by Hazelcast at each member's start
    cluster = TestCluster.create(CacheBackupAckTest.class, 2);
    // A write whose backup stays held is left unconfirmed after 1 s rather than the default 10 (MissedBackups).
    JsonObject extra = new JsonObject().put("cluster", new JsonObject().put("backupConfirmMs", 1_000)).put("cache", new JsonObject().put("caches", new JsonObject().put(CACHE, new JsonObject())));
    StewardNode a = cluster.start(List.of("cache"), extra).await(90, TimeUnit.SECONDS);
    StewardNode b = cluster.start(List.of("cache"), extra).await(90, TimeUnit.SECONDS);
    HazelcastInstance hzA = Cluster.hazelcast(a.vertx());
    HazelcastInstance hzB = Cluster.hazelcast(b.vertx());
    Poll.until(a.vertx(), "no migration running", 60_000,
        () -> a.vertx().executeBlocking(() -> hzA.getPartitionService().isClusterSafe())).await(70, TimeUnit.SECONDS);
    Member memberA = hzA.getCluster().getLocalMember();
    List<String> keys = new ArrayList<>();
    for (int i = 0; keys.size() < 6; i++) {
      String k = "k-" + i + "-" + UUID.randomUUID();
      if (memberA.equals(hzA.getPartitionService().getPartition(k).getOwner())) {
        keys.add(k);
      }
    }
    String put = keys.get(0);
    String deleted = keys.get(1);
    String counter = keys.get(2);
    String absent = keys.get(3);
    String replaced = keys.get(4);
    String batch = keys.get(5);
    for (String k : List.of(put, deleted, replaced)) {
      request(a, Addresses.Cache.PUT, entry(CACHE, k).put("value", "before")).await(30, TimeUnit.SECONDS);
    }
    String opId = "held-" + UUID.randomUUID();
    request(a, Addresses.Cache.UPDATE, entry(CACHE, counter).put("increment", 1).put("opId", "warm-" + opId))
      .await(30, TimeUnit.SECONDS);

    // b holds every backup of a's keys and stops answering (it still heartbeats: nobody notices).
    held = HeldPartitions.hold(hzB);
    Map<String, Future<JsonObject>> writes = Map.of(
      "put", request(a, Addresses.Cache.PUT, entry(CACHE, put).put("value", "after")),
      "delete", request(a, Addresses.Cache.DELETE, entry(CACHE, deleted)),
      "update", request(a, Addresses.Cache.UPDATE, entry(CACHE, counter).put("increment", 1).put("opId", opId)
        .put("timeoutMs", 1_500)),
      "putIfAbsent", request(a, Addresses.Cache.PUT_IF_ABSENT, entry(CACHE, absent).put("value", "new")),
      "replace", request(a, Addresses.Cache.REPLACE, entry(CACHE, replaced).put("expected", "before").put("value", "after")),
      "putAll", request(a, Addresses.Cache.PUT_ALL, new JsonObject().put("cache", CACHE)
        .put("entries", new JsonObject().put(batch, "x"))));
    for (Map.Entry<String, Future<JsonObject>> w : writes.entrySet()) {
      assertThat(code(w.getValue())).as("%s of a key whose backup never acknowledged: %s", w.getKey(),
        w.getValue().result()).isEqualTo(504);
    }
    // The update was applied on a: sent again, it is a duplicate, but one still on a alone.
    Future<JsonObject> again = request(a, Addresses.Cache.UPDATE, entry(CACHE, counter).put("increment", 1)
      .put("opId", opId).put("timeoutMs", 1_500));
    assertThat(code(again)).as("a duplicate answered while only the owner holds the update: %s", again.result())
      .isEqualTo(504);

    held.close();
    held = null;
    JsonObject confirmed = request(a, Addresses.Cache.UPDATE, entry(CACHE, counter).put("increment", 1).put("opId", opId))
      .await(30, TimeUnit.SECONDS);
    assertThat(confirmed.getBoolean("duplicate")).as("applied once, now on both members: %s", confirmed).isTrue();
    assertThat(confirmed.getValue("value")).isEqualTo(2);
  }
}
