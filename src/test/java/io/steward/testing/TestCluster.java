package io.steward.testing;

import io.steward.bus.Addresses;
import io.steward.node.StewardNode;
import io.vertx.core.Future;
import io.vertx.core.eventbus.DeliveryOptions;
import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;

import java.util.ArrayList;
import java.util.List;
import java.util.UUID;
import java.util.concurrent.TimeUnit;

/**
 * Several Steward nodes in this JVM, clustered over real Hazelcast on loopback with the project's
 * cluster.xml, a cluster name of their own and free ports, so they never meet another test's cluster.
 */
public final class TestCluster implements AutoCloseable {

  private final String name;
  private final int basePort;
  private final int size;
  private final List<StewardNode> nodes = new ArrayList<>();

  private TestCluster(String name, int size) {
    this.name = name;
    this.size = size;
    this.basePort = FreePorts.block(size + 4);
  }

  /** A cluster named after the test class, with room for {@code maxNodes} members. */
  public static TestCluster create(Class<?> test, int maxNodes) {
    return new TestCluster(test.getSimpleName() + "-" + UUID.randomUUID().toString().substring(0, 8), maxNodes);
  }

  public String name() {
    return name;
  }

  /** The configuration a node of this cluster starts with; {@code extra} is deep-merged on top. */
  public JsonObject config(List<String> modules, JsonObject extra) {
    JsonArray members = new JsonArray();
    for (int i = 0; i < size + 4; i++) {
      members.add("127.0.0.1:" + (basePort + i));
    }
    JsonObject config = new JsonObject()
      .put("modules", new JsonArray(new ArrayList<>(modules)))
      .put("cluster", new JsonObject().put("name", name).put("port", basePort).put("members", members)
        .put("failureDetectionSeconds", 4))
      .put("http", new JsonObject().put("port", 0))
      .put("shutdown", new JsonObject().put("drainMs", 2_000))
      // Memory only unless a test asks for a store (with a directory or database of its own): test clusters must
      // never share state through the default embedded database in the working directory.
      .put("store", new JsonObject().put("kind", "none"));
    return extra == null ? config : config.mergeIn(extra, true);
  }

  public Future<StewardNode> start(List<String> modules) {
    return start(modules, null);
  }

  public Future<StewardNode> start(List<String> modules, JsonObject extra) {
    return StewardNode.start(config(modules, extra)).onSuccess(n -> {
      synchronized (nodes) {
        nodes.add(n);
      }
    });
  }

  /** Starts {@code count} nodes one after the other (parallel joins on 2 cores only slow each other down). */
  public List<StewardNode> startBlocking(int count, List<String> modules, JsonObject extra) throws Exception {
    List<StewardNode> started = new ArrayList<>();
    for (int i = 0; i < count; i++) {
      started.add(start(modules, extra).await(60, TimeUnit.SECONDS));
    }
    return started;
  }

  public List<StewardNode> nodes() {
    synchronized (nodes) {
      return List.copyOf(nodes);
    }
  }

  /** The base URL of a node's HTTP module. */
  public static Future<String> httpUrl(StewardNode node) {
    return node.vertx().eventBus().request(Addresses.moduleHealth(node.id(), "http"), new JsonObject(),
        new DeliveryOptions().setLocalOnly(true).setSendTimeout(5_000))
      .map(r -> ((JsonObject) r.body()).getString("url"));
  }

  /** Stops one node as SIGTERM would. */
  public Future<Void> stop(StewardNode node) {
    synchronized (nodes) {
      nodes.remove(node);
    }
    return node.stop(2_000).recover(err -> Future.succeededFuture());
  }

  @Override
  public void close() throws Exception {
    // All at once: nothing is asserted after. One after the other, each leave waits about a second for its partitions
    // to move to the members still there (three nodes: 3.3-4.1 s; together: 0.4-1.9 s, now and then a few seconds).
    List<StewardNode> all = nodes();
    List<Future<Void>> stops = new ArrayList<>();
    for (StewardNode n : all) {
      try {
        stops.add(stop(n));
      } catch (RuntimeException alreadyClosed) {
        // a test closed its Vert.x itself: nothing left to stop
      }
    }
    try {
      Future.join(stops).await(60, TimeUnit.SECONDS);
    } catch (Exception ignored) {
      // a node that does not stop in time is left to the JVM's exit; the next test class has a cluster of its own
    }
  }
}
