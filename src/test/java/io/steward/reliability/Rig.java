package io.steward.reliability;

import io.steward.spi.Cluster;
import io.steward.testing.Bus;
import io.steward.testing.NodeProcess;
import io.steward.testing.ProcessCluster;
import io.vertx.core.Vertx;
import io.vertx.core.json.JsonObject;

import java.util.ArrayList;
import java.util.List;
import java.util.Map;

/**
 * One scenario's cluster: fat-jar nodes as separate JVMs (the harness's {@link ProcessCluster}: real
 * {@code cluster.xml}, failure detection after {@value ProcessCluster#FAILURE_DETECTION_SECONDS} s) and the test
 * JVM as a lite-member client, which holds no data, so what it counts survives any node.
 */
final class Rig implements AutoCloseable {

  final ProcessCluster cluster;
  final List<NodeProcess> nodes;
  final Vertx client;
  final Bus bus;

  private Rig(ProcessCluster cluster, List<NodeProcess> nodes, Vertx client) {
    this.cluster = cluster;
    this.nodes = new ArrayList<>(nodes);
    this.client = client;
    this.bus = new Bus(client);
  }

  /**
   * Starts {@code count} nodes with {@code env} at once (JVM start-up dominates, so this saves tens of seconds
   * per scenario on a 2-core machine), waits until each is healthy and every node lists all of them, and joins
   * the client.
   */
  static Rig start(Class<?> test, int count, Map<String, String> env) throws Exception {
    ProcessCluster cluster = ProcessCluster.create(test, count + 1);
    env.forEach(cluster::env);
    try {
      List<NodeProcess> nodes = new ArrayList<>();
      for (int i = 0; i < count; i++) {
        nodes.add(cluster.add(Map.of()));
      }
      for (NodeProcess n : nodes) {
        cluster.awaitHealthy(n, 120_000);
      }
      Vertx client = cluster.joinLiteClient();
      Rig rig = new Rig(cluster, nodes, client);
      rig.awaitMembers(count);
      rig.awaitSafe();
      return rig;
    } catch (Exception | Error e) {
      cluster.close();
      throw e;
    }
  }

  /** The Vert.x node id of a node (from its own /nodes). */
  String nodeId(NodeProcess node) throws Exception {
    String[] id = new String[1];
    cluster.await(node.name() + " listed in its /nodes", 30_000, () -> {
      NodeProcess.Response r = node.get("/nodes");
      if (r.status() != 200) {
        return false;
      }
      for (Object n : r.json().getJsonArray("nodes")) {
        JsonObject o = (JsonObject) n;
        if (o.getString("name").equals(node.name())) {
          id[0] = o.getString("id");
          return true;
        }
      }
      return false;
    });
    return id[0];
  }

  /** Every live node lists {@code count} nodes. */
  void awaitMembers(int count) throws Exception {
    for (NodeProcess n : nodes) {
      if (n.isAlive()) {
        cluster.awaitNodeCount(n, count, 90_000);
      }
    }
  }

  /** Every partition has its backup: one member may now die without losing an entry (docs/tasks.md). */
  void awaitSafe() throws Exception {
    cluster.await("the cluster safe (every partition backed up)", 90_000,
      () -> Cluster.hazelcast(client).getPartitionService().isClusterSafe());
  }

  List<NodeProcess> alive() {
    return nodes.stream().filter(NodeProcess::isAlive).toList();
  }

  /** Health of every live node: true when all answer 200. */
  boolean allHealthy() {
    return alive().stream().allMatch(n -> n.get("/health").status() == 200);
  }

  @Override
  public void close() throws Exception {
    cluster.close();
  }
}
