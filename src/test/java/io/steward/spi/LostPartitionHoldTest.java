package io.steward.spi;

import com.hazelcast.core.HazelcastInstance;
import io.steward.bus.Addresses;
import io.steward.node.StewardNode;
import io.steward.testing.LogCapture;
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
import java.util.concurrent.TimeUnit;

import static io.steward.testing.Bus.entry;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.fail;

/**
 * Campaign seeds 2336 and 2374: with {@code cluster.minimumSize}, a side that lost every copy of a key (its owner and
 * backups all left at once: on the other side of a split, or dead) wrote the key again from nothing as soon as it had
 * the minimum, and that fresh copy won the merge over the other side's, which held the increments acknowledged before
 * the split. Here four members, the minimum 2; two are terminated at once (a node cannot tell that from a split), so
 * the two left keep the minimum and lose the partitions whose copies were all on the two gone. Writes of their keys
 * must be refused (503, nothing applied) until {@code cache.lostPartitionHoldSeconds} has passed (no merge comes
 * here), then taken again; the other keys are written as ever. The release by a merge is {@code LostPartitionsIT}'s.
 * The same for the tasks module's key bindings: a task key whose binding was lost was bound again at once to a new
 * task, while, had the two members only been cut off, the key's task could be running on their side.
 */
class LostPartitionHoldTest {

  private static final List<String> MODULES = List.of("cache", "tasks");
  private static final int KEYS = 60;
  private static final int HOLD_SECONDS = 6;
  private static final DeliveryOptions HERE = new DeliveryOptions().setLocalOnly(true).setSendTimeout(30_000);

  private TestCluster cluster;

  @AfterEach
  void stop() throws Exception {
    cluster.close();
  }

  @Test
  void writes_of_keys_whose_every_copy_this_side_lost_are_refused_until_the_hold_ends() throws Exception {
    cluster = TestCluster.create(LostPartitionHoldTest.class, 4);
    JsonObject config = new JsonObject()
      .put("cluster", new JsonObject().put("minimumSize", 2))
      .put("cache", new JsonObject().put("caches", new JsonObject().put("counters", new JsonObject()))
        .put("lostPartitionHoldSeconds", HOLD_SECONDS))
      .put("tasks", new JsonObject().put("lostPartitionHoldSeconds", HOLD_SECONDS));
    // The first two together: a node alone is below the minimum, and its modules wait for a second.
    Future<StewardNode> first = cluster.start(MODULES, config);
    Future<StewardNode> second = cluster.start(MODULES, config);
    List<StewardNode> nodes = new ArrayList<>(List.of(first.await(90, TimeUnit.SECONDS),
      second.await(90, TimeUnit.SECONDS)));
    nodes.addAll(cluster.startBlocking(2, MODULES, config));
    StewardNode a = nodes.get(0);
    HazelcastInstance hzA = Cluster.hazelcast(a.vertx());
    Poll.until(a.vertx(), "no migration running", 60_000,
        () -> a.vertx().executeBlocking(() -> hzA.getPartitionService().isClusterSafe()))
      .await(70, TimeUnit.SECONDS);
    for (int i = 0; i < KEYS; i++) {
      assertThat(increment(a, "k" + i).getValue("value")).isEqualTo(1);
    }
    // The task keys, bound for long after their tasks end (the same names: the same partitions as the cache keys).
    List<String> taskIds = new ArrayList<>();
    for (int i = 0; i < KEYS; i++) {
      JsonObject accepted = here(a, Addresses.Tasks.SUBMIT, keyed("k" + i));
      assertThat(accepted.getBoolean("existing", false)).isFalse();
      taskIds.add(accepted.getString("id"));
    }

    List<String> lost = new ArrayList<>();
    try (LogCapture logs = LogCapture.open()) {
      Cluster.hazelcast(nodes.get(2).vertx()).getLifecycleService().terminate();
      Cluster.hazelcast(nodes.get(3).vertx()).getLifecycleService().terminate();
      assertThat(logs.await(m -> m.contains("PartitionsLost - Partitions lost: "), 60_000)).as("the loss is seen").isTrue();
      for (int i = 0; i < KEYS; i++) {
        JsonObject got = here(a, Addresses.Cache.GET, entry("counters", "k" + i));
        if (!got.getBoolean("found")) {
          lost.add("k" + i);
        }
      }
      assertThat(lost).as("keys whose both copies were on the two members gone").isNotEmpty().hasSizeLessThan(KEYS);
      String key = lost.get(0);
      for (String k : lost) {
        refused(a, Addresses.Cache.UPDATE, entry("counters", k).put("increment", 1));
      }
      refused(nodes.get(1), Addresses.Cache.UPDATE, entry("counters", key).put("increment", 1));
      refused(a, Addresses.Cache.PUT, entry("counters", key).put("value", 5));
      refused(a, Addresses.Cache.PUT_IF_ABSENT, entry("counters", key).put("value", 5));
      refused(a, Addresses.Cache.DELETE, entry("counters", key));
      refused(a, Addresses.Cache.GET_OR_COMPUTE, entry("counters", key)
        .put("compute", new JsonObject().put("address", "steward.test.never")));
      String kept = null;
      for (int i = 0; i < KEYS && kept == null; i++) {
        kept = lost.contains("k" + i) ? null : "k" + i;
      }
      refused(a, Addresses.Cache.PUT_ALL, new JsonObject().put("cache", "counters")
        .put("entries", new JsonObject().put(key, 7).put(kept, 7)));
      assertThat(here(a, Addresses.Cache.GET, entry("counters", kept)).getValue("value"))
        .as("a putAll with a held key applies nothing").isEqualTo(1);
      assertThat(here(a, Addresses.Cache.GET, entry("counters", key)).getBoolean("found")).as("nothing written").isFalse();
      assertThat(increment(a, kept).getValue("value")).as("a key this side kept is written as ever").isEqualTo(2);

      // Task keys: a key whose binding this side lost is refused on either node; one it kept still holds its task.
      for (String k : lost) {
        refused(a, Addresses.Tasks.SUBMIT, keyed(k), "tasks.lostPartitionHoldSeconds");
      }
      refused(nodes.get(1), Addresses.Tasks.RUN, keyed(key), "tasks.lostPartitionHoldSeconds");
      JsonObject again = here(a, Addresses.Tasks.SUBMIT, keyed(kept));
      assertThat(again.getBoolean("existing", false)).as("a key this side kept: %s", again).isTrue();
      assertThat(again.getString("id")).isEqualTo(taskIds.get(Integer.parseInt(kept.substring(1))));

      assertThat(logs.await(m -> m.contains("LostPartitions - Cache writes resumed"), 60_000))
        .as("the hold ends, and says so").isTrue();
      assertThat(increment(a, key).getValue("value")).as("written again from nothing after the hold").isEqualTo(1);
      assertThat(logs.await(m -> m.contains("LostPartitions - Keyed task submits resumed"), 60_000))
        .as("the task keys' hold ends, and says so").isTrue();
      JsonObject fresh = here(a, Addresses.Tasks.SUBMIT, keyed(key));
      assertThat(fresh.getBoolean("existing", false)).as("bound to a new task after the hold: %s", fresh).isFalse();
    }
    for (int i = 2; i < 4; i++) {
      cluster.stop(nodes.get(i)); // its Hazelcast is gone: its stop cannot finish cleanly
      nodes.get(i).vertx().close();
    }
  }

  private static JsonObject increment(StewardNode node, String key) throws Exception {
    return here(node, Addresses.Cache.UPDATE, entry("counters", key).put("increment", 1));
  }

  private static void refused(StewardNode node, String address, JsonObject body) throws Exception {
    refused(node, address, body, "cache.lostPartitionHoldSeconds");
  }

  private static void refused(StewardNode node, String address, JsonObject body, String setting) throws Exception {
    try {
      Object reply = here(node, address, body);
      fail("expected 503 from %s for %s, got %s", address, body, reply);
    } catch (ReplyException e) {
      assertThat(e.failureCode()).as("%s of %s: %s", address, body, e.getMessage()).isEqualTo(503);
      assertThat(e.getMessage()).contains("lost every copy").contains(setting);
    }
  }

  /** A temporary task of {@code key} that holds its key for ten minutes after it ends. */
  private static JsonObject keyed(String key) {
    return new JsonObject().put("type", "echo").put("payload", new JsonObject().put("k", key)).put("restart", "temporary")
      .put("key", key).put("uniqueForMs", 600_000);
  }

  private static JsonObject here(StewardNode node, String address, JsonObject body) throws Exception {
    return node.vertx().eventBus().request(address, body, HERE).map(m -> (JsonObject) m.body())
      .await(40, TimeUnit.SECONDS);
  }
}
