package io.steward.node;

import io.steward.spi.MissedBackups;
import io.steward.spi.PutIfAbsent;
import io.steward.spi.Stalls;
import io.steward.spi.StuckMigration;
import io.steward.spi.Version;
import com.hazelcast.cluster.Member;
import com.hazelcast.cluster.MembershipEvent;
import com.hazelcast.cluster.MembershipListener;
import com.hazelcast.core.HazelcastInstance;
import com.hazelcast.map.IMap;
import io.steward.bus.Addresses;
import io.steward.spi.Cluster;
import io.steward.bus.Endpoint;
import io.steward.bus.Fields;
import io.steward.bus.Failure;
import io.steward.store.Store;
import io.micrometer.core.instrument.FunctionCounter;
import io.micrometer.core.instrument.MeterRegistry;
import io.vertx.core.Future;
import io.vertx.core.VerticleBase;
import io.vertx.core.eventbus.DeliveryOptions;
import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.util.ArrayList;
import java.util.Comparator;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.UUID;

/**
 * This node's place in the cluster: announces it in the cluster-wide registry {@code steward.nodes}
 * (a Hazelcast map), forgets members Hazelcast reports as gone, answers {@code steward.nodes.list} and
 * this node's own addresses ({@code steward.node.<id>.info}, {@code .health}).
 *
 * <p>Deployed after the modules, so a node appears in the registry and reports healthy only once every
 * module it runs has started; undeployed first on shutdown.
 */
final class NodeVerticle extends VerticleBase {

  static final String REGISTRY = "steward.nodes";
  private static final Logger LOG = LoggerFactory.getLogger(NodeVerticle.class);
  private static final long MODULE_HEALTH_TIMEOUT_MS = 1_000;
  /** How often a node checks that it is still in the registry (and puts itself back when it is not). */
  private static final long REASSERT_MS = 2_000;
  /** How long a node stopping because its migrations are stuck gives its shutdown hooks before it halts. */
  private static final long STUCK_EXIT_GRACE_MS = 15_000;
  private static final long MIGRATION_LOOKUP_NS = 60_000_000_000L;

  private final NodeConfig config;
  private final Map<String, String> deployments;
  private final long startedAt;
  private final Store store;
  private HazelcastInstance hz;
  private IMap<String, String> registry;
  private UUID listenerId;
  private long reassertTimer = -1;
  /** A registry check, or a clean-up of departed nodes, is under way (each runs one at a time). */
  private boolean reasserting;
  private boolean forgetting;
  private String nodeId;
  private JsonObject info;
  private ClockOffset clock;
  private FrozenAlone frozen;
  private StuckMigration stuck;
  private Thread migrationThread;
  private long migrationLookedUp = System.nanoTime() - MIGRATION_LOOKUP_NS;
  private PartitionsLost partitionsLost;

  NodeVerticle(NodeConfig config, Map<String, String> deployments, long startedAt, Store store) {
    this.config = config;
    this.deployments = new LinkedHashMap<>(deployments);
    this.startedAt = startedAt;
    this.store = store;
  }

  @Override
  public Future<?> start() {
    hz = Cluster.hazelcast(vertx);
    nodeId = Cluster.nodeId(vertx);
    if (config.metricsEnabled()) {
      missedBackupMetrics(MissedBackups.of(hz), io.steward.observe.Metrics.registry(vertx));
    }
    registry = hz.getMap(REGISTRY);
    // A stall past half of failure detection may have got this node removed; its view stays stale for up to failure
    // detection after it resumes (the schedule's fence uses the same threshold: schedule.pauseFenceMs).
    long detectionMs = config.cluster().failureDetectionSeconds() * 1_000L;
    Stalls.watch(detectionMs / 2, detectionMs + 1_000);
    partitionsLost = new PartitionsLost(vertx, hz);
    clock = new ClockOffset(hz, config.merged().getJsonObject("cluster").getInteger("maxClockOffsetMs"),
      config.metricsEnabled() ? io.steward.observe.Metrics.registry(vertx) : null);
    return partitionsLost.start(config.metricsEnabled() ? io.steward.observe.Metrics.registry(vertx) : null)
      .compose(lost -> moduleHealth()).compose(modules -> {
      info = describe(modules);
      listenerId = hz.getCluster().addMembershipListener(new Forget());
      return Future.all(
        Endpoint.consumer(vertx, Addresses.Nodes.LIST, msg -> noArguments(msg.body()).list()).completion(),
        Endpoint.consumer(vertx, Addresses.node(nodeId, Addresses.Nodes.INFO), msg -> noArguments(msg.body()).info()).completion(),
        Endpoint.consumer(vertx, Addresses.node(nodeId, Addresses.Nodes.HEALTH), msg -> noArguments(msg.body()).health()).completion(),
        Future.fromCompletionStage(registry.putAsync(nodeId, info.encode()), context));
    }).onSuccess(v -> {
      frozen = new FrozenAlone(config.cluster().frozenAloneMs(), vertx, hz,
        config.metricsEnabled() ? io.steward.observe.Metrics.registry(vertx) : null);
      JsonObject clusterSection = config.merged().getJsonObject("cluster");
      stuck = StuckMigration.start(hz, clusterSection.getInteger("stuckMigrationMs"),
        config.metricsEnabled() ? io.steward.observe.Metrics.registry(vertx) : null);
      Runnable stop = clusterSection.getBoolean("stuckMigrationExit") ? () -> StuckMigration.exit(STUCK_EXIT_GRACE_MS) : null;
      forgetDeparted();
      reassertTimer = vertx.setPeriodic(REASSERT_MS, t -> {
        clockOffset();
        frozen.check();
        stuck.check(() -> {
          Thread migration = migrationThread();
          return migration == null ? null : migration.getStackTrace();
        }, stop);
        scheduleFence();
        reassert();
        forgetDeparted(); // a merge can also bring back the entry of a node that died meanwhile
      });
    });
  }

  /** Hazelcast's migration thread of this member (found once). */
  private Thread migrationThread() {
    long now = System.nanoTime();
    if (migrationThread == null && now - migrationLookedUp >= MIGRATION_LOOKUP_NS) {
      migrationLookedUp = now; // not found (a lite member may have none): looked for again a minute later
      migrationThread = StuckMigration.migrationThread(hz);
    }
    return migrationThread;
  }

  private static void missedBackupMetrics(MissedBackups missed, MeterRegistry registry) {
    String what = "Writes through this member whose backup acknowledgement Hazelcast reported missed (none within "
      + "hazelcast.operation.backup.timeout.millis): ";
    FunctionCounter.builder("steward_node_backup_acks_missed", missed, MissedBackups::confirmed).tag("outcome", "confirmed")
      .description(what + "acknowledged after all, the cluster safe within cluster.backupConfirmMs with no member removed "
        + "(partitions were migrating, or the backup member paused briefly)")
      .register(registry);
    FunctionCounter.builder("steward_node_backup_acks_missed", missed, MissedBackups::unconfirmed).tag("outcome", "unconfirmed")
      .description(what + "answered 504 (outcome unknown): a member left, or the backups were still not in sync after "
        + "cluster.backupConfirmMs (a member paused or cut off: see the failure detection logs)")
      .register(registry);
  }

  /**
   * Puts this node's entry back when it is missing. After a split brain heals (a node paused past failure
   * detection, then resumed) the survivors have removed it, and the merge brings it back only if this node
   * happened to hold a copy of its own entry's partition while it was cut off; likewise when the members holding
   * the entry's partition and its backup die together.
   */
  private void reassert() {
    if (reasserting || !hz.getLifecycleService().isRunning()) {
      return; // one check at a time: while the cluster is in turmoil an operation may wait for a minute
    }
    reasserting = true;
    Future.fromCompletionStage(registry.submitToKey(nodeId, new PutIfAbsent(info.encode())), context).onComplete(ar -> {
      reasserting = false;
      if (ar.failed()) {
        LOG.debug("Could not check this node's registry entry: {}", ar.cause().getMessage());
      } else if (ar.result() == null) {
        LOG.info("This node was missing from the node registry (after a split-brain merge or the loss of its "
          + "entry's partition); listed again");
      }
    });
  }

  /** Publishes this node's clock offset in its registry entry when it moved by 100 ms or more (see ClockOffset). */
  private void clockOffset() {
    long offset = clock.check();
    if (Math.abs(offset - info.getLong("clockOffsetMs", 0L)) >= 100 && hz.getLifecycleService().isRunning()) {
      info.put("clockOffsetMs", offset);
      registry.setAsync(nodeId, info.encode());
    }
  }

  /**
   * Publishes in this node's registry entry, as {@code scheduleFence}, why its schedule module claims no tick (its
   * fence: a stall, a merge, or its clock beyond {@code schedule.clockFenceMs}), so that {@code /nodes} shows it;
   * asked of the module's health over the bus, like {@code /health}.
   */
  private void scheduleFence() {
    if (!deployments.containsKey("schedule") || !vertx.deploymentIDs().contains(deployments.get("schedule"))) {
      return;
    }
    vertx.eventBus().request(Addresses.moduleHealth(nodeId, "schedule"), new JsonObject(),
        new DeliveryOptions().setSendTimeout(MODULE_HEALTH_TIMEOUT_MS).setLocalOnly(true))
      .onSuccess(reply -> {
        JsonObject h = reply.body() instanceof JsonObject o ? o : new JsonObject();
        String fence = h.getBoolean("fenced", false) ? h.getString("fenceReason", "fenced") : null;
        if (java.util.Objects.equals(fence, info.getString("scheduleFence")) || !hz.getLifecycleService().isRunning()) {
          return;
        }
        if (fence == null) {
          info.remove("scheduleFence");
        } else {
          info.put("scheduleFence", fence);
        }
        registry.setAsync(nodeId, info.encode());
      });
  }

  @Override
  public Future<?> stop() {
    if (reassertTimer >= 0) {
      vertx.cancelTimer(reassertTimer);
    }
    if (frozen != null) {
      frozen.close();
    }
    if (partitionsLost != null) {
      partitionsLost.stop();
    }
    if (listenerId != null) {
      hz.getCluster().removeMembershipListener(listenerId);
    }
    if (!hz.getLifecycleService().isRunning()) {
      return Future.succeededFuture();
    }
    return Future.fromCompletionStage(registry.removeAsync(nodeId), context)
      .otherwise(err -> {
        LOG.warn("Could not remove this node from the registry while leaving ({}); the survivors drop it when "
          + "Hazelcast reports it gone", err.getMessage());
        return null;
      });
  }

  /**
   * These verbs take no arguments: a body is nothing, {@code {}} or {@code {"version": 1}}; anything else (text,
   * bytes, an unknown field) is a 400, as on every other address (docs/reference.md).
   */
  private NodeVerticle noArguments(Object body) {
    if (body != null) {
      Fields.of(body).done();
    }
    return this;
  }

  private JsonObject describe(JsonObject modules) {
    Member local = hz.getCluster().getLocalMember();
    String name = config.name() != null ? config.name() : "node-" + nodeId.substring(0, 8);
    return new JsonObject()
      .put("id", nodeId)
      .put("name", name)
      .put("host", local.getAddress().getHost())
      .put("clusterAddress", local.getAddress().getHost() + ":" + local.getAddress().getPort())
      .put("liteMember", local.isLiteMember())
      .put("version", Version.current())
      .put("startedAt", java.time.Instant.ofEpochMilli(startedAt).toString())
      .put("pid", ProcessHandle.current().pid())
      .put("modules", new JsonArray(new ArrayList<>(deployments.keySet())))
      .put("endpoints", endpoints(modules))
      .put("clockOffsetMs", clock.check());
  }

  private static JsonObject endpoints(JsonObject modules) {
    JsonObject out = new JsonObject();
    modules.forEach(e -> {
      if (e.getValue() instanceof JsonObject m && m.containsKey("url")) {
        out.put(e.getKey(), m.getString("url"));
      }
    });
    return out;
  }

  private JsonObject info() {
    return info.copy().put("uptimeMs", System.currentTimeMillis() - startedAt)
      .put("clusterMembers", hz.getCluster().getMembers().size());
  }

  /** Every Steward node that is a live member, oldest first; entries of departed members are skipped. */
  private Future<JsonObject> list() {
    Set<String> live = liveMembers();
    return vertx.executeBlocking(() -> registry.getAll(live), false).map(found -> {
      List<JsonObject> nodes = new ArrayList<>();
      found.values().forEach(v -> nodes.add(new JsonObject(v)));
      nodes.sort(Comparator.comparing((JsonObject n) -> n.getString("startedAt")).thenComparing(n -> n.getString("id")));
      return new JsonObject().put("nodes", new JsonArray(new ArrayList<>(nodes))).put("count", nodes.size());
    });
  }

  /**
   * The modules' health, and the store's under {@code store}. A store that is DEGRADED (its database down) does
   * not make the node DOWN: the node keeps serving from memory, and taking every node out of a load balancer
   * because of the database would turn its outage into Steward's.
   */
  private Future<JsonObject> health() {
    return moduleHealth().map(modules -> {
      if (store != null) {
        modules.put("store", store.health());
      }
      boolean up = modules.stream().allMatch(e -> {
        String status = ((JsonObject) e.getValue()).getString("status");
        return "UP".equals(status) || ("store".equals(e.getKey()) && "DEGRADED".equals(status));
      });
      return new JsonObject().put("status", up ? "UP" : "DOWN").put("node", nodeId).put("modules", modules);
    });
  }

  /** Each module: DOWN if its deployment is gone, else what it answers on its own health address, if any. */
  private Future<JsonObject> moduleHealth() {
    JsonObject out = new JsonObject();
    List<Future<?>> checks = new ArrayList<>();
    Set<String> deployed = vertx.deploymentIDs();
    deployments.forEach((module, id) -> {
      if (!deployed.contains(id)) {
        out.put(module, new JsonObject().put("status", "DOWN").put("reason", "not deployed"));
        return;
      }
      checks.add(vertx.eventBus().request(Addresses.moduleHealth(nodeId, module), new JsonObject(),
          new DeliveryOptions().setSendTimeout(MODULE_HEALTH_TIMEOUT_MS).setLocalOnly(true))
        .map(reply -> (JsonObject) reply.body())
        .recover(err -> Future.succeededFuture(Failure.of(err) == Failure.UNAVAILABLE
          ? new JsonObject().put("status", "UP")
          : new JsonObject().put("status", "DOWN").put("reason", "health check failed: " + err.getMessage())))
        .onSuccess(status -> {
          synchronized (out) {
            out.put(module, status);
          }
        }));
    });
    return Future.join(checks).transform(ar -> Future.succeededFuture(out));
  }

  private Set<String> liveMembers() {
    return Cluster.liveNodeIds(vertx);
  }

  /** The oldest member removes registry entries of members that are gone (also those missed while down). */
  private void forgetDeparted() {
    if (forgetting || !isOldest()) {
      return;
    }
    forgetting = true;
    Set<String> live = liveMembers();
    vertx.executeBlocking(() -> {
      for (String id : registry.keySet()) {
        if (!live.contains(id)) {
          registry.remove(id);
        }
      }
      return null;
    }, false).onComplete(ar -> {
      forgetting = false;
      if (ar.failed()) {
        LOG.warn("Could not clean departed nodes from the registry: {}", ar.cause().getMessage());
      }
    });
  }

  private boolean isOldest() {
    Set<Member> members = hz.getCluster().getMembers();
    return !members.isEmpty() && members.iterator().next().localMember();
  }

  private final class Forget implements MembershipListener {
    @Override
    public void memberAdded(MembershipEvent event) {
      if (!isOldest()) {
        return; // one node tells the cluster, not every node
      }
      vertx.eventBus().publish(Addresses.Nodes.EVENTS, new JsonObject().put("event", "joined")
        .put("id", Cluster.nodeIdOf(event.getMember())).put("members", event.getMembers().size()));
    }

    @Override
    public void memberRemoved(MembershipEvent event) {
      String id = Cluster.nodeIdOf(event.getMember());
      if (id == null || !isOldest()) {
        return; // not a Vert.x node (a plain Hazelcast member), or not ours to tell
      }
      registry.removeAsync(id);
      LOG.warn("Cluster member {} at {} left or died; {} member(s) remain", id, event.getMember().getAddress(),
        event.getMembers().size());
      vertx.eventBus().publish(Addresses.Nodes.EVENTS, new JsonObject().put("event", "left").put("id", id)
        .put("members", event.getMembers().size()));
    }
  }
}
