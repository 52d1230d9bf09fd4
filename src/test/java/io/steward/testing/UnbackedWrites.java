package io.steward.testing;

import com.hazelcast.cluster.Address;
import com.hazelcast.cluster.Member;
import com.hazelcast.core.HazelcastInstance;
import com.hazelcast.map.impl.proxy.MapProxyImpl;
import com.hazelcast.spi.impl.NodeEngine;
import io.steward.node.StewardNode;
import io.steward.spi.Cluster;
import io.vertx.core.Future;
import io.vertx.core.eventbus.ReplyException;
import io.vertx.core.json.JsonObject;

import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;
import java.util.function.Predicate;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * The fixture of the tests of writes whose synchronous backup does not acknowledge them: two members A and B in this
 * JVM with a 1 s backup timeout (Hazelcast's default is 5 s) and {@code cluster.backupConfirmMs} 1 s, partitions
 * settled; the test then holds B's partition threads ({@link HeldPartitions}) while A writes entries it owns.
 */
public final class UnbackedWrites {

  private static final String BACKUP_TIMEOUT = "hazelcast.operation.backup.timeout.millis";

  private UnbackedWrites() {
  }

  /** The two members of a test class, and their cluster; closing it closes the cluster and calls {@link #done()}. */
  public record Members(TestCluster cluster, StewardNode a, StewardNode b) implements AutoCloseable {
    @Override
    public void close() throws Exception {
      done();
      cluster.close();
    }
  }

  /** A new cluster for {@code test} with {@link #twoMembers}. */
  public static Members start(Class<?> test, List<String> modules, JsonObject extra) throws Exception {
    TestCluster cluster = TestCluster.create(test, 2);
    List<StewardNode> nodes = twoMembers(cluster, modules, extra);
    return new Members(cluster, nodes.get(0), nodes.get(1));
  }

  /**
   * Starts A then B with {@code modules} and {@code extra} configuration (plus {@code cluster.backupConfirmMs} 1000),
   * and waits until no migration runs. Call {@link #done()} when the cluster is closed.
   */
  public static List<StewardNode> twoMembers(TestCluster cluster, List<String> modules, JsonObject extra) throws Exception {
    return members(cluster, 2, modules, extra);
  }

  /** As {@link #twoMembers}, with {@code count} members, started one after the other. */
  public static List<StewardNode> members(TestCluster cluster, int count, List<String> modules, JsonObject extra)
      throws Exception {
    System.setProperty(BACKUP_TIMEOUT, "1000"); // read by Hazelcast at each member's start
    // A write whose backup stays held is left unconfirmed after 1 s rather than the default 10 (MissedBackups).
    JsonObject config = extra == null ? new JsonObject() : extra.copy();
    config.put("cluster", config.getJsonObject("cluster", new JsonObject()).copy().put("backupConfirmMs", 1_000));
    List<StewardNode> nodes = new ArrayList<>();
    for (int i = 0; i < count; i++) {
      nodes.add(cluster.start(modules, config).await(90, TimeUnit.SECONDS));
    }
    StewardNode a = nodes.get(0);
    HazelcastInstance hzA = Cluster.hazelcast(a.vertx());
    Poll.until(a.vertx(), "no migration running", 60_000,
        () -> a.vertx().executeBlocking(() -> hzA.getPartitionService().isClusterSafe()))
      .await(70, TimeUnit.SECONDS);
    return List.copyOf(nodes);
  }

  /** The address of the member that holds the first backup of {@code key}'s partition (Hazelcast's internal view). */
  public static Address backupOf(HazelcastInstance hz, String key) {
    NodeEngine engine = ((MapProxyImpl<?, ?>) hz.getMap("steward.test.backup-of")).getNodeEngine();
    int partition = hz.getPartitionService().getPartition(key).getPartitionId();
    return engine.getPartitionService().getPartition(partition).getReplicaAddress(1);
  }

  /** Members started after this have Hazelcast's default backup timeout again. */
  public static void done() {
    System.clearProperty(BACKUP_TIMEOUT);
  }

  /** The first name {@code prefix-<i>} (i from 0) whose key {@code node}'s member owns and that {@code also} accepts. */
  public static String ownedBy(StewardNode node, String prefix, Predicate<String> also) {
    HazelcastInstance hz = Cluster.hazelcast(node.vertx());
    Member member = hz.getCluster().getLocalMember();
    for (int i = 0; ; i++) {
      String name = prefix + "-" + i;
      if (member.equals(hz.getPartitionService().getPartition(name).getOwner()) && also.test(name)) {
        return name;
      }
    }
  }

  /** Asserts that {@code answer} failed with a 504: a write only the entry's owner applied is not answered done. */
  public static void assertIndeterminate(String what, Future<?> answer) throws Exception {
    Throwable failed = answer.transform(ar -> Future.succeededFuture(ar.failed() ? ar.cause() : null))
      .await(40, TimeUnit.SECONDS);
    assertThat(failed).as("a %s that only the entry's owner applied (its backup never acknowledged it) was answered done: %s",
      what, answer.result()).isInstanceOf(ReplyException.class);
    assertThat(((ReplyException) failed).failureCode()).as(failed.getMessage()).isEqualTo(504);
  }
}
