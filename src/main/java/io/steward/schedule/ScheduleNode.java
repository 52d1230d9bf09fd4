package io.steward.schedule;

import com.hazelcast.config.Config;
import com.hazelcast.config.MapConfig;
import com.hazelcast.config.MergePolicyConfig;
import com.hazelcast.core.HazelcastInstance;
import com.hazelcast.map.IMap;
import com.hazelcast.spi.merge.PutIfAbsentMergePolicy;
import io.steward.bus.Cluster;
import io.vertx.core.Future;
import io.vertx.core.Vertx;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.time.Clock;
import java.util.List;
import java.util.concurrent.CompletionStage;
import java.util.concurrent.CopyOnWriteArrayList;

/**
 * What the scheduler instances of one node share: the cluster maps, this node's replica of the jobs, the
 * registry of schedule nodes and placement, the fence, and where runs are recorded.
 */
final class ScheduleNode {

  static final String CLAIMS = "steward.schedule.claims";
  private static final Logger LOG = LoggerFactory.getLogger(ScheduleNode.class);

  final ScheduleConfig config;
  final Clock clock;
  final Vertx vertx;
  final HazelcastInstance hz;
  final String nodeId;
  final JobStore store;
  final IMap<String, ClaimState> claims;
  final Fence fence;
  final RunLog log;
  final ScheduleNodes nodes;
  final ActionRunner actions;
  final Scheduler.Claims claimsApi;
  final long pauseFenceMs;
  private final List<ShardVerticle> shards = new CopyOnWriteArrayList<>();
  private Future<Void> leaving;

  ScheduleNode(Vertx vertx, ScheduleConfig config, Clock clock) {
    this.config = config;
    this.clock = clock;
    this.vertx = vertx;
    this.hz = Cluster.hazelcast(vertx);
    this.nodeId = Cluster.nodeId(vertx);
    this.store = new JobStore(vertx, hz.getMap(JobStore.JOBS));
    this.claims = hz.getMap(CLAIMS);
    this.pauseFenceMs = config.pauseFenceMs() > 0 ? config.pauseFenceMs() : Fence.defaultPauseFenceMs(hz);
    this.fence = new Fence(vertx, hz, config.instances(), pauseFenceMs, config.fenceAloneMs(), this::fenceChanged);
    this.log = new RunLog(vertx, nodeId, hz.getMap(RunLog.HISTORY), config, fence, name -> store.replica().containsKey(name));
    this.nodes = new ScheduleNodes(vertx, hz, nodeId, this::reassessAll);
    this.actions = new ActionRunner(vertx, nodeId, config.defaultTimeoutMs());
    this.claimsApi = new Scheduler.Claims() {
      @Override
      public CompletionStage<ClaimResult> claim(String job, ClaimState.Claim claim) {
        return claims.submitToKey(job, new ClaimTick(claim));
      }

      @Override
      public CompletionStage<Long> finish(String job, long tick, String node, long now, long nextRunUntil) {
        return claims.submitToKey(job, new FinishRun(tick, node, now, nextRunUntil));
      }
    };
  }

  /**
   * After a split brain heals, the claim state of the larger side wins (Hazelcast merges the smaller side into
   * the larger): a node that was cut off never moves a job's claimed ticks backwards. Added as dynamic
   * configuration, identical on every node, before the map is used.
   */
  static Future<Void> configureClaimsMap(Vertx vertx, HazelcastInstance hz) {
    return vertx.executeBlocking(() -> {
      Config config = hz.getConfig();
      MapConfig base = config.findMapConfig(CLAIMS);
      String policy = PutIfAbsentMergePolicy.class.getName();
      if (!policy.equals(base.getMergePolicyConfig().getPolicy())) {
        MapConfig claims = new MapConfig(base).setName(CLAIMS)
          .setMergePolicyConfig(new MergePolicyConfig(policy, MergePolicyConfig.DEFAULT_BATCH_SIZE));
        try {
          config.addMapConfig(claims);
        } catch (RuntimeException e) {
          LOG.warn("Could not set the merge policy of {} ({}); it keeps {}. After a split brain, the claimed ticks of a "
            + "job could then move backwards: give every node the same cluster.xml.", CLAIMS, e.getMessage(),
            base.getMergePolicyConfig().getPolicy());
        }
      }
      return null;
    }, false);
  }

  static int shardOf(String name, int shards) {
    return Math.floorMod(name.hashCode(), shards);
  }

  void register(ShardVerticle shard) {
    shards.add(shard);
  }

  void unregister(ShardVerticle shard) {
    shards.remove(shard);
  }

  List<ShardVerticle> shards() {
    return shards;
  }

  /** Placement may have changed: every shard reassesses which jobs it fires. */
  void reassessAll() {
    shards.forEach(ShardVerticle::reassess);
  }

  private void fenceChanged(boolean up) {
    vertx.eventBus().publish(io.steward.bus.Addresses.Schedule.EVENTS, new io.vertx.core.json.JsonObject()
      .put("event", up ? "fenced" : "unfenced").put("node", nodeId).put("reason", up ? fence.reason() : null));
    if (!up) {
      shards.forEach(ShardVerticle::catchUp);
    }
  }

  /** Leaves the registry once (the first shard to stop asks), so the others take over at once. */
  synchronized Future<Void> leave() {
    if (leaving == null) {
      leaving = nodes.leave();
    }
    return leaving;
  }
}
