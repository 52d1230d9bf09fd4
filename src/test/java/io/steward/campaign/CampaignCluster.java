package io.steward.campaign;

import io.steward.reliability.Netns;
import io.steward.testing.NodeProcess;
import io.steward.testing.Postgres;
import io.steward.testing.ProcessCluster;
import io.steward.testing.TcpProxy;
import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;

import java.io.IOException;
import java.net.InetAddress;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;

/**
 * A campaign's cluster: {@code n} fat-jar nodes with the real cluster.xml, each in a network namespace of its own
 * ({@link Netns}: every node has its own address, so each uses the same Hazelcast port and bridge port), running
 * {@code http,tasks,schedule,cache,bridge}. The observer reaches each node's HTTP and TCP bridge from the host.
 * A seed with a store ({@link Plan#store()}) puts the nodes on a database of their own in the tests' PostgreSQL
 * ({@code TEST_POSTGRES_URL}, as {@code .ci/run} sets it), reached through a {@link TcpProxy} on the host's address
 * of the namespaces' network, which the nemesis cuts for a {@code db-outage}; the campaign's cache is persisted.
 */
final class CampaignCluster implements AutoCloseable {

  static final int HZ_PORT = 5701;
  static final int BRIDGE_PORT = 7000;

  final Plan plan;
  final Netns net;
  final ProcessCluster processes;
  final List<NodeProcess> nodes = new ArrayList<>();
  private final Recorder history;
  private final Observer observer;
  /** The database's proxy (null: no store). */
  TcpProxy proxy;
  /** Why a seed with a store runs without one (null: it has one, or needs none). */
  String storeSkipped;
  private String admin;
  private String database;

  private CampaignCluster(Plan plan, Netns net, ProcessCluster processes, Recorder history, Observer observer) {
    this.plan = plan;
    this.net = net;
    this.processes = processes;
    this.history = history;
    this.observer = observer;
  }

  static CampaignCluster start(Plan plan, Recorder history, Observer observer) throws Exception {
    Netns net = Netns.create(plan.nodes());
    ProcessCluster processes;
    try {
      processes = ProcessCluster.create(Campaign.class, plan.nodes());
    } catch (RuntimeException e) {
      net.close();
      throw e;
    }
    CampaignCluster c = new CampaignCluster(plan, net, processes, history, observer);
    try {
      c.launch();
      return c;
    } catch (Exception | Error e) {
      c.close();
      throw e;
    }
  }

  private void launch() throws Exception {
    int n = plan.nodes();
    List<String> members = new ArrayList<>();
    for (int i = 0; i < n; i++) {
      members.add(net.address(i) + ":" + HZ_PORT);
    }
    String addresses = new JsonArray().add(Observer.FIRES).add(Observer.EFFECTS).add(Observer.COMPUTE).encode();
    boolean store = plan.store() && store();
    processes.env("STEWARD_MODULES", "http,tasks,schedule,cache,bridge")
      .env("STEWARD_HTTP_TARGETS", addresses)
      .env("STEWARD_BRIDGE_OUTBOUND", addresses)
      .env("STEWARD_CACHE_CACHES", new JsonObject().put(Workload.CACHE, new JsonObject().put("persist", store)).encode())
      .env("STEWARD_SCHEDULE_HISTORY_SIZE", "1000")
      .env("STEWARD_SCHEDULE_HISTORY_FLUSH_MS", "200")
      .env("STEWARD_TASKS_ORPHAN_SWEEP_MS", "1000");
    if (plan.minimumSize() != null) {
      processes.env("STEWARD_CLUSTER_MINIMUM_SIZE", Integer.toString(plan.minimumSize()));
    }
    for (int i = 0; i < n; i++) {
      String addr = net.address(i);
      Map<String, String> env = new HashMap<>();
      env.put("STEWARD_CLUSTER_MEMBERS", String.join(",", members));
      env.put("STEWARD_CLUSTER_PORT", Integer.toString(HZ_PORT));
      env.put("STEWARD_CLUSTER_INTERFACE", addr);
      env.put("STEWARD_CLUSTER_FAILURE_DETECTION_SECONDS", Integer.toString(plan.detectionSeconds()));
      env.put("STEWARD_EVENT_BUS_HOST", addr);
      env.put("STEWARD_HTTP_HOST", addr);
      env.put("STEWARD_BRIDGE_HOST", addr);
      env.put("STEWARD_BRIDGE_PORT", Integer.toString(BRIDGE_PORT));
      nodes.add(processes.add(env, addr, net.launcher(i)));
    }
    for (int i = 0; i < n; i++) {
      up(i);
    }
    awaitWhole(180_000);
  }

  /** The tests' PostgreSQL admin URL ({@code TEST_POSTGRES_URL} or {@code -Dtest.postgres.url}); null when none. */
  static String postgres() {
    String url = System.getProperty(Postgres.PROPERTY, System.getenv(Postgres.ENV));
    return url == null || url.isBlank() ? null : url;
  }

  /**
   * A database of the seed's own behind a proxy on the host's address; false (and {@link #storeSkipped} says why)
   * when no PostgreSQL is configured.
   */
  private boolean store() throws Exception {
    admin = postgres();
    if (admin == null) {
      storeSkipped = "no PostgreSQL for the store (" + Postgres.ENV + " unset: .ci/postgres start DIR prints one)";
      return false;
    }
    database = Postgres.createDatabase(admin);
    proxy = new TcpProxy(InetAddress.getByName(net.hostAddress()), Postgres.host(admin), Postgres.port(admin));
    String url = Postgres.viaPort(database, proxy.port()).replace("//" + Postgres.host(admin) + ":", "//" + net.hostAddress() + ":");
    processes.env("STEWARD_STORE_KIND", "postgres")
      .env("STEWARD_STORE_URL", url)
      // store.connectTimeoutMs stays at its default (5 s): at 1 s, a pool wait on this loaded machine, or across a
      // SIGSTOP of the node itself, counted as an outage (seed 88's replay: "unreachable" with the database up)
      .env("STEWARD_STORE_MAX_BACKOFF_MS", "1000");
    return true;
  }

  /** Waits for node {@code i} to answer /health, records {@code node.up} and (re)connects the observer to it. */
  void up(int i) throws Exception {
    NodeProcess node = nodes.get(i);
    processes.await(node.name() + " healthy (log: " + node.log() + ")", 180_000,
      () -> !node.isAlive() || node.get("/health").status() == 200);
    if (!node.isAlive()) {
      throw new IllegalStateException(node.name() + " exited before it was healthy:\n" + node.tail(20));
    }
    history.record("node.up", new JsonObject().put("node", node.name()).put("pid", node.pid()).put("id", id(node)));
    observer.connect(i, net.address(i), BRIDGE_PORT);
  }

  /**
   * Waits until every node answers /health and lists every node; meanwhile, as the supervisor docs/operations.md asks
   * for (systemd {@code Restart=on-failure}), starts again a node that stopped itself because its migrations were
   * stuck (exit code 70), recording {@code node.exit}.
   */
  void awaitWhole(long timeoutMs) throws Exception {
    processes.await("every node healthy and listing " + nodes.size() + " nodes", timeoutMs, () -> {
      superviseExits();
      return nodes.stream().allMatch(n -> n.get("/health").status() == 200 && ids(n).size() == nodes.size());
    });
  }

  private void superviseExits() throws Exception {
    for (int i = 0; i < nodes.size(); i++) {
      NodeProcess n = nodes.get(i);
      if (n.isAlive() || n.awaitExit(0) != io.steward.spi.StuckMigration.EXIT_CODE) {
        continue;
      }
      history.record("node.exit", new JsonObject().put("node", n.name()).put("code", io.steward.spi.StuckMigration.EXIT_CODE));
      n.start();
      up(i);
    }
  }

  /** The member ids {@code node} lists in /nodes (empty when it does not answer). */
  static List<String> ids(NodeProcess node) {
    NodeProcess.Response r = node.get("/nodes");
    List<String> out = new ArrayList<>();
    if (r.status() == 200) {
      for (Object o : r.json().getJsonArray("nodes")) {
        out.add(((JsonObject) o).getString("id"));
      }
    }
    return out;
  }

  /**
   * The node's Vert.x id, from its own {@code GET /nodes}, waited for (at most 30 s): a node is healthy a moment
   * before its registry entry is readable, and under load one read could miss it (seed 1013 on a loaded machine:
   * node1's id was recorded as null, so the checkers could not tell which side its fires came from).
   */
  private String id(NodeProcess node) throws Exception {
    String[] found = new String[1];
    processes.await(node.name() + " listed in its own GET /nodes", 30_000, () -> (found[0] = listedId(node)) != null);
    return found[0];
  }

  private static String listedId(NodeProcess node) {
    NodeProcess.Response r = node.get("/nodes");
    if (r.status() == 200) {
      for (Object o : r.json().getJsonArray("nodes")) {
        JsonObject n = (JsonObject) o;
        if (node.name().equals(n.getString("name"))) {
          return n.getString("id");
        }
      }
    }
    return null;
  }

  /** Blocks or unblocks every path between the sides (a bridge node keeps both). */
  void partition(List<List<Integer>> sides, boolean cut) throws IOException, InterruptedException {
    for (int a = 0; a < sides.size(); a++) {
      for (int b = 0; b < sides.size(); b++) {
        if (a == b) {
          continue;
        }
        for (int i : sides.get(a)) {
          for (int j : sides.get(b)) {
            if (cut) {
              net.block(i, j);
            } else {
              try {
                net.unblock(i, j);
              } catch (IOException e) {
                // not blocked (already healed): go on with the others
              }
            }
          }
        }
      }
    }
  }

  @Override
  public void close() throws Exception {
    try {
      processes.close();
    } finally {
      try {
        if (proxy != null) {
          proxy.close();
        }
        if (database != null && Boolean.getBoolean("campaign.keep")) {
          System.out.println("campaign: the seed's database is kept (campaign.keep): " + database);
        } else if (database != null) {
          Postgres.dropDatabase(admin, database);
        }
      } finally {
        net.close();
      }
    }
  }
}
