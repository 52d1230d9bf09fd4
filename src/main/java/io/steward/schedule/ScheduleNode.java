package io.steward.schedule;

import com.hazelcast.config.Config;
import com.hazelcast.config.InMemoryFormat;
import com.hazelcast.config.MapConfig;
import com.hazelcast.config.MergePolicyConfig;
import com.hazelcast.core.HazelcastInstance;
import com.hazelcast.map.IMap;
import io.steward.spi.Cluster;
import io.steward.spi.HazelcastInternals;
import io.vertx.core.Future;
import io.vertx.core.Vertx;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.time.Clock;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionStage;
import java.util.concurrent.CopyOnWriteArrayList;

/**
 * What the scheduler instances of one node share: the cluster maps, this node's replica of the jobs, the
 * registry of schedule nodes and placement, the fence, and where runs are recorded.
 *
 * <p>A claim is answered won only once the partition's backup holds it (else it fails, and the tick is not fired
 * here): were the owner of a job's key to die right after a claim that only it applied, the backup promoted in its
 * place would let another node win the same tick (UnbackedScheduleWritesTest). So with other data members, each claim is its
 * own operation, confirmed ({@link HazelcastInternals#submitToKeyConfirmed}): Hazelcast's multi-key operations
 * ({@code submitToKeys}, {@link ClaimBatch}) always back up asynchronously, whatever the map's backup count (CI's
 * campaign seed 33535 on 2026-12-07: a tick fired by two nodes). Claims due together are batched in one operation
 * only while this member is the cluster's only data member, which has no backup to wait for.
 */
final class ScheduleNode {

  /**
   * The job state map. Deliberately outside {@code steward.*}: Hazelcast matches a static wildcard from
   * cluster.xml before any dynamic configuration, and this map needs its own (see {@link #configureStateMap}).
   */
  static final String STATE = "steward-schedule-state";
  /**
   * Completes on the Hazelcast thread that answered, which only hands the result to the shard's event loop
   * (Hazelcast's default would go through the common ForkJoinPool first).
   */
  private static final java.util.concurrent.Executor DIRECT = Runnable::run;
  private static final Logger LOG = LoggerFactory.getLogger(ScheduleNode.class);

  final ScheduleConfig config;
  final Clock clock;
  final Vertx vertx;
  final HazelcastInstance hz;
  final String nodeId;
  final JobStore store;
  final IMap<String, JobState> state;
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
    this.store = new JobStore(vertx, hz.getMap(JobStore.JOBS), hz.getLifecycleService(),
      name -> hz.getPartitionService().getPartition(name).getPartitionId());
    this.state = hz.getMap(STATE);
    this.pauseFenceMs = config.pauseFenceMs() > 0 ? config.pauseFenceMs() : Fence.defaultPauseFenceMs(hz);
    this.fence = new Fence(vertx, hz, config.instances(), pauseFenceMs, config.fenceAloneMs(), config.clockFenceMs(),
      this::fenceChanged, new Fence.ClockPeers() {
        @Override
        public List<Long> offsets() {
          return ScheduleNode.this.nodes.peerOffsets();
        }

        @Override
        public void publish(long offsetMs) {
          ScheduleNode.this.nodes.offset(offsetMs);
        }

        @Override
        public void fenced(boolean fenced) {
          ScheduleNode.this.nodes.clockFenced(fenced);
        }
      }, Fence.Clocks.SYSTEM);
    int minimum = minimumSize(hz);
    if (minimum > 1) {
      ClaimLease.Timing timing = ClaimLease.Timing.of(Fence.failureDetectionMs(hz), Fence.heartbeatMs(hz), config.leaseMs());
      fence.lease(new ClaimLease(minimum, timing, () -> System.nanoTime() / 1_000_000, fence.leasePeers()));
    }
    this.log = new RunLog(vertx, state, config);
    this.nodes = new ScheduleNodes(vertx, hz, nodeId, this::reassessAll, fence::checkClock);
    this.actions = new ActionRunner(vertx, nodeId, config.defaultTimeoutMs());
    int capacity = config.historySize();
    this.claimsApi = new Scheduler.Claims() {
      @Override
      public CompletionStage<List<ClaimResult>> claim(List<Scheduler.ClaimRequest> batch) {
        CompletableFuture<List<ClaimResult>> done = new CompletableFuture<>();
        if (batch.size() > 1 && aloneWithTheData()) {
          // No backup to wait for: one multi-key operation (which would not wait for a backup: see the class comment).
          Map<String, ClaimBatch.Item> items = new HashMap<>(batch.size() * 2);
          for (Scheduler.ClaimRequest r : batch) {
            items.put(r.job(), new ClaimBatch.Item(r.claim(), r.records()));
          }
          state.submitToKeys(items.keySet(), new ClaimBatch(items, capacity)).whenCompleteAsync((results, err) -> {
            if (err != null) {
              done.completeExceptionally(err);
              return;
            }
            List<ClaimResult> out = new ArrayList<>(batch.size());
            for (Scheduler.ClaimRequest r : batch) {
              out.add(ClaimResult.decode(results.get(r.job())));
            }
            done.complete(out);
          }, DIRECT);
          return done;
        }
        // One confirmed operation per claim: answered once the backup holds it, else failed (not fired here).
        ClaimResult[] out = new ClaimResult[batch.size()];
        java.util.concurrent.atomic.AtomicInteger pending = new java.util.concurrent.atomic.AtomicInteger(batch.size());
        for (int i = 0; i < batch.size(); i++) {
          int at = i;
          Scheduler.ClaimRequest r = batch.get(i);
          HazelcastInternals.submitToKeyConfirmed(state, r.job(), new ClaimTick(r.claim(), r.records(), capacity), DIRECT)
            .whenComplete((v, err) -> {
              if (err != null) {
                done.completeExceptionally(err); // the first failure fails the batch: its claims share one backup
              } else {
                out[at] = ClaimResult.decode(v);
              }
              if (pending.decrementAndGet() == 0 && !done.isDone()) {
                done.complete(List.of(out)); // every claim answered: no null left
              }
            });
        }
        return done;
      }

      @Override
      public CompletionStage<Long> finish(String job, long tick, String node, long now, long nextRunUntil, List<RunRecord> records) {
        CompletableFuture<Long> done = new CompletableFuture<>();
        // Confirmed as a claim: the end may hand this node the next queued tick, which must then be dequeued in both
        // copies of the state, or the backup's copy would still hold it for a successor to run again.
        HazelcastInternals.submitToKeyConfirmed(state, job, new FinishRun(tick, node, now, nextRunUntil, records, capacity),
            DIRECT)
          .whenComplete((r, err) -> {
            if (err != null) {
              done.completeExceptionally(err);
            } else {
              done.complete(r);
            }
          });
        return done;
      }

      @Override
      public CompletionStage<Void> append(String job, List<RunRecord> records) {
        CompletableFuture<Void> done = new CompletableFuture<>();
        state.submitToKey(job, new AppendRuns(records, capacity)).whenCompleteAsync((r, err) -> {
          if (err != null) {
            done.completeExceptionally(err);
          } else {
            done.complete(null);
          }
        }, DIRECT);
        return done;
      }

      @Override
      public int group(Scheduler.Entry entry) {
        return nodes.batchGroup(entry);
      }
    };
  }

  /** Whether this member is the cluster's only data member: its partitions have no backup. */
  private boolean aloneWithTheData() {
    int data = 0;
    for (com.hazelcast.cluster.Member m : hz.getCluster().getMembers()) {
      if (!m.isLiteMember() && ++data > 1) {
        return false;
      }
    }
    return data == 1;
  }

  /**
   * The split-brain protection's minimum on the job state map ({@code cluster.minimumSize}), 0 without one. Read
   * from the jobs map's configuration (the {@code steward.*} wildcard the node sets it on; the state map copies it).
   */
  static int minimumSize(HazelcastInstance hz) {
    Config config = hz.getConfig();
    String name = config.findMapConfig(JobStore.JOBS).getSplitBrainProtectionName();
    if (name == null) {
      return 0;
    }
    com.hazelcast.config.SplitBrainProtectionConfig protection = config.getSplitBrainProtectionConfig(name);
    return protection != null && protection.isEnabled() ? protection.getMinimumClusterSize() : 0;
  }

  /**
   * The job state map: held in object form (its entry processors work on the stored object, no deserializing on
   * every claim) and, after a split brain heals, the copy with the higher claimed tick wins whichever side is merged
   * into the other ({@link StateMergePolicy}): a merge never moves a job's claimed ticks backwards. Backups and split-brain
   * protection are copied from {@code steward.*} in cluster.xml. Added as dynamic configuration, identical on every
   * node, before the map is used (a map created earlier keeps the configuration it was created with).
   */
  static Future<Void> configureStateMap(Vertx vertx, HazelcastInstance hz) {
    return vertx.executeBlocking(() -> {
      Config config = hz.getConfig();
      MapConfig current = config.findMapConfig(STATE);
      String policy = StateMergePolicy.class.getName();
      if (current.getInMemoryFormat() == InMemoryFormat.OBJECT && policy.equals(current.getMergePolicyConfig().getPolicy())) {
        return null; // another node configured it
      }
      MapConfig steward = config.findMapConfig(JobStore.JOBS);
      MapConfig state = new MapConfig(STATE).setInMemoryFormat(InMemoryFormat.OBJECT)
        .setBackupCount(steward.getBackupCount()).setAsyncBackupCount(steward.getAsyncBackupCount())
        .setSplitBrainProtectionName(steward.getSplitBrainProtectionName())
        .setMergePolicyConfig(new MergePolicyConfig(policy, MergePolicyConfig.DEFAULT_BATCH_SIZE));
      try {
        config.addMapConfig(state);
      } catch (RuntimeException e) {
        LOG.warn("Could not configure {} ({}); it keeps Hazelcast's defaults. Claims then cost more, and after a split "
          + "brain the claimed ticks of a job could move backwards: give every node the same Steward version, and keep "
          + "the <map name=\"steward-schedule-state\"> entry of the packaged cluster.xml in yours (the store needs it).",
          STATE, e.getMessage());
      }
      return null;
    }, false);
  }

  /**
   * The scheduler instance of a job: by the partition of its key, so each instance claims for a share of the
   * partitions and its per-partition claim batches are as large as they can be.
   */
  int shardOf(String name) {
    return hz.getPartitionService().getPartition(name).getPartitionId() % config.instances();
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

  /**
   * Completes once the shard holding job {@code name} has handled every change of its jobs passed on before this call
   * (a shard runs them on its own loop, in order).
   */
  Future<Void> settled(String name) {
    int index = shardOf(name);
    for (ShardVerticle shard : shards) {
      if (shard.index() == index) {
        return shard.settled();
      }
    }
    return Future.succeededFuture(); // no shard (starting or stopping): nothing fires here
  }

  /** Placement may have changed: every shard reassesses which jobs it fires. */
  void reassessAll() {
    shards.forEach(ShardVerticle::reassess);
  }

  private void fenceChanged(boolean up) {
    vertx.eventBus().publish(io.steward.bus.Addresses.Schedule.EVENTS, new io.vertx.core.json.JsonObject()
      .put("event", up ? "fenced" : "unfenced").put("node", nodeId).put("reason", up ? fence.reason() : null)
      .put("clock", fence.clockFenced()).put("clockOffsetMs", fence.clockOffsetMs()));
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
