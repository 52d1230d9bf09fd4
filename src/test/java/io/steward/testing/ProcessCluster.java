package io.steward.testing;

import io.steward.example.JoinAsLiteMember;
import io.vertx.core.Future;
import io.vertx.core.Vertx;

import java.io.IOException;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.UUID;
import java.util.concurrent.TimeUnit;
import java.util.stream.Collectors;
import java.util.stream.IntStream;

/**
 * N Steward nodes as separate JVMs on loopback, from the fat jar and the cluster.xml packaged in it, with a
 * cluster name and ports of their own and short failure detection. The test JVM can join as a Hazelcast
 * lite member ({@link #joinLiteClient()}): it holds no data, so counting side effects there survives any
 * node being killed.
 */
public final class ProcessCluster implements AutoCloseable {

  public static final int FAILURE_DETECTION_SECONDS = 4;

  private final String clusterName;
  private final int basePort;
  private final int capacity;
  private final Path logDir;
  private final Path workDir;
  private final List<NodeProcess> nodes = new ArrayList<>();
  private final Map<String, String> commonEnv = new HashMap<>();
  private Vertx client;
  private final Vertx poller = Vertx.vertx();

  private ProcessCluster(String testName, int capacity) {
    this.clusterName = testName + "-" + UUID.randomUUID().toString().substring(0, 8);
    this.capacity = capacity;
    this.basePort = FreePorts.block(capacity + 2);
    Path logs = Path.of(System.getProperty("test.steward.logs", "target/test-logs"));
    this.logDir = logs.resolve(clusterName);
    this.workDir = logs.resolve(clusterName).resolve("work");
    // Each node has a working directory of its own, so the default embedded store would give each its own
    // database, which a cluster refuses: memory only unless a test asks for a store (env STEWARD_STORE_*).
    commonEnv.put("STEWARD_STORE_KIND", "none");
  }

  /** Room for {@code capacity} nodes (plus the lite client); nodes are added with {@link #add}. */
  public static ProcessCluster create(Class<?> test, int capacity) {
    return new ProcessCluster(test.getSimpleName(), capacity);
  }

  public String clusterName() {
    return clusterName;
  }

  public String members() {
    return IntStream.range(0, capacity + 2).mapToObj(i -> "127.0.0.1:" + (basePort + i)).collect(Collectors.joining(","));
  }

  /** An environment variable every node gets (e.g. {@code STEWARD_MODULES}). */
  public ProcessCluster env(String name, String value) {
    commonEnv.put(name, value);
    return this;
  }

  /** Starts one more node (not awaited: see {@link #awaitHealthy}). */
  public NodeProcess add(Map<String, String> extraEnv) throws IOException {
    return add(extraEnv, "127.0.0.1", List.of());
  }

  /**
   * Starts one more node whose HTTP API is reached at {@code host}, its JVM run under {@code launcher} (e.g.
   * {@code ip netns exec NS}); {@code extraEnv} overrides the defaults (members, interface, ports).
   */
  public NodeProcess add(Map<String, String> extraEnv, String host, List<String> launcher) throws IOException {
    int index = nodes.size() + 1;
    int http = FreePorts.one();
    Map<String, String> env = new HashMap<>(commonEnv);
    env.put("STEWARD_CLUSTER_NAME", clusterName);
    env.put("STEWARD_CLUSTER_PORT", Integer.toString(basePort));
    env.put("STEWARD_CLUSTER_MEMBERS", members());
    env.put("STEWARD_CLUSTER_FAILURE_DETECTION_SECONDS", Integer.toString(FAILURE_DETECTION_SECONDS));
    env.put("STEWARD_HTTP_PORT", Integer.toString(http));
    env.put("STEWARD_NODE_NAME", "node" + index);
    env.putAll(extraEnv);
    NodeProcess node = new NodeProcess("node" + index, host, launcher, http, logDir.resolve("node" + index + ".log"),
      workDir.resolve("node" + index), env);
    nodes.add(node);
    return node.start();
  }

  /**
   * Starts {@code count} nodes at once (as a deployment does; each joins whichever is up first) and waits until each
   * is healthy and lists every live node of the cluster. At once rather than one after the other: on two cores the
   * JVMs' start-ups overlap, a few seconds less per test class (CI time).
   */
  public List<NodeProcess> start(int count) throws Exception {
    List<NodeProcess> started = new ArrayList<>();
    for (int i = 0; i < count; i++) {
      started.add(add(Map.of()));
    }
    for (NodeProcess n : started) {
      awaitHealthy(n, 120_000);
    }
    int live = (int) nodes.stream().filter(NodeProcess::isAlive).count();
    for (NodeProcess n : started) {
      awaitNodeCount(n, live, 120_000);
    }
    return started;
  }

  public List<NodeProcess> nodes() {
    return List.copyOf(nodes);
  }

  /** Blocks until GET /health answers 200. */
  public void awaitHealthy(NodeProcess node, long timeoutMs) throws Exception {
    await("node " + node.name() + " healthy (log: " + node.log() + ")", timeoutMs, () -> {
      if (!node.isAlive()) {
        throw new IllegalStateException(node.name() + " exited before becoming healthy:\n" + node.tail(30));
      }
      return node.get("/health").status() == 200;
    });
  }

  /** Blocks until GET /nodes on {@code node} lists {@code count} nodes. */
  public void awaitNodeCount(NodeProcess node, int count, long timeoutMs) throws Exception {
    await(node.name() + " lists " + count + " node(s)", timeoutMs, () -> {
      NodeProcess.Response r = node.get("/nodes");
      return r.status() == 200 && r.json().getInteger("count") == count;
    });
  }

  /** Blocks until {@code condition} holds, asking again every 50 ms on a timer. */
  public void await(String what, long timeoutMs, java.util.concurrent.Callable<Boolean> condition) throws Exception {
    Poll.until(poller, what, timeoutMs, () -> poller.executeBlocking(condition, false)).await(timeoutMs + 5_000, TimeUnit.MILLISECONDS);
  }

  /** Where the nodes of this cluster have their working directories ({@code <this>/<node name>}). */
  public Path workDir() {
    return workDir;
  }

  /** The test JVM joins the cluster as a lite member, the way another Vert.x service would (README). */
  public Vertx joinLiteClient() throws Exception {
    if (client == null) {
      client = JoinAsLiteMember.join(clusterName, List.of(members().split(",")), basePort + capacity,
          FAILURE_DETECTION_SECONDS)
        .await(90, TimeUnit.SECONDS);
    }
    return client;
  }

  /** Every node's log tail, for a failure report. */
  public String logs(int lines) {
    StringBuilder sb = new StringBuilder();
    for (NodeProcess n : nodes) {
      sb.append("\n===== ").append(n.name()).append(" (").append(n.log()).append(") =====\n").append(n.tail(lines));
    }
    return sb.toString();
  }

  @Override
  public void close() throws Exception {
    if (client != null) {
      client.close().await(30, TimeUnit.SECONDS);
    }
    for (NodeProcess n : nodes) {
      if (n.isAlive()) {
        n.resume();
        n.kill();
      }
    }
    poller.close();
    checkNoBlockedThreads(nodes);
  }

  /**
   * Fails when a node's log has a Vert.x blocked-thread warning of {@link BlockedThreads#PROCESS_FAIL_MS} or more
   * (logged with the blocked thread's stack): a blocking call on an event loop is a bug however the test went.
   * Nodes the test SIGSTOPped are left out ({@link NodeProcess#wasPaused}).
   */
  public static void checkNoBlockedThreads(List<NodeProcess> nodes) {
    List<String> found = new ArrayList<>();
    for (NodeProcess n : nodes) {
      if (!n.wasPaused()) {
        n.blockedThreadWarnings().stream().filter(l -> BlockedThreads.blockedMs(l) >= BlockedThreads.PROCESS_FAIL_MS)
          .forEach(l -> found.add(n.name() + ": " + l));
      }
    }
    if (!found.isEmpty()) {
      throw new AssertionError(found.size() + " Vert.x blocked-thread warning(s) in the node logs (a blocking call on "
        + "an event loop). First: " + found.get(0));
    }
  }

  /** Runs a future-returning action and blocks for its result (test threads only). */
  public static <T> T block(Future<T> f, long timeoutMs) throws Exception {
    return f.await(timeoutMs, TimeUnit.MILLISECONDS);
  }
}
