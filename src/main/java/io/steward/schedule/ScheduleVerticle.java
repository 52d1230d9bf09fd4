package io.steward.schedule;

import com.hazelcast.core.HazelcastInstance;
import io.micrometer.core.instrument.Gauge;
import io.micrometer.core.instrument.MeterRegistry;
import io.steward.spi.Cluster;
import io.steward.observe.Metrics;
import io.vertx.core.DeploymentOptions;
import io.vertx.core.Future;
import io.vertx.core.VerticleBase;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.time.Clock;
import java.util.function.Function;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.atomic.AtomicInteger;

/**
 * The schedule module on one node: sets up the shared parts ({@link ScheduleNode}), deploys the scheduler
 * instances ({@link ShardVerticle}, one per event loop), registers the node as a schedule node (from then on it
 * fires the jobs placed on it), answers the module's addresses and (re)creates the jobs declared in
 * configuration.
 */
final class ScheduleVerticle extends VerticleBase {

  private static final Logger LOG = LoggerFactory.getLogger(ScheduleVerticle.class);

  private final ScheduleConfig config;
  private final Function<HazelcastInstance, Clock> clocks;
  private Clock clock;
  private ScheduleNode node;

  ScheduleVerticle(ScheduleConfig config, Function<HazelcastInstance, Clock> clocks) {
    this.config = config;
    this.clocks = clocks;
  }

  @Override
  public Future<?> start() {
    clock = clocks.apply(Cluster.hazelcast(vertx));
    // The state map's configuration must be in place before anything touches the map.
    return ScheduleNode.configureStateMap(vertx, Cluster.hazelcast(vertx)).compose(v -> startNode());
  }

  private Future<?> startNode() {
    node = new ScheduleNode(vertx, config, clock);
    Scheduler triggers = new Scheduler(clock, new LoopExecutor(context, () -> { }, () -> { }),
      new Scheduler.Settings(node.nodeId, config.misfireThresholdMs(), config.defaultTimeoutMs(), 1, 0, 0,
        config.historyFlushMs(), config.historySize()), node.claimsApi,
      node.actions, e -> false, node.fence.guard(0), node.log);
    ScheduleEndpoints endpoints = new ScheduleEndpoints(node, triggers);
    AtomicInteger index = new AtomicInteger();
    return node.store.start()
      .compose(v -> vertx.deployVerticle(() -> new ShardVerticle(node, index.getAndIncrement()),
        new DeploymentOptions().setInstances(config.instances())))
      .compose(id -> {
        node.fence.start();
        meters();
        return Future.all(endpoints.register(vertx));
      })
      .compose(v -> node.nodes.start())
      .onSuccess(v -> purgeTombstones())
      .compose(v -> declared(endpoints))
      .onSuccess(v -> LOG.info("Schedule module up: {} job(s) in the cluster, {} scheduler instance(s), fence after "
        + "{} ms of silence{}", node.store.replica().size(), config.instances(), node.pauseFenceMs, leaseInfo()));
  }

  private String leaseInfo() {
    ClaimLease lease = node.fence.claimLease();
    return lease == null ? "" : ", cluster-once claims under a lease of " + lease.timing().leaseMs() + " ms (cluster.minimumSize "
      + lease.minimumSize() + "; the others can take a cut-off node's jobs over after " + lease.timing().takeoverMs() + " ms at the earliest)";
  }

  /** The jobs declared in configuration: created, or updated if their definition changed. */
  private Future<Void> declared(ScheduleEndpoints endpoints) {
    List<Future<?>> puts = new ArrayList<>();
    for (JobSpec spec : config.jobs()) {
      puts.add(endpoints.put(spec).onSuccess(r -> {
        if (r.getBoolean("changed")) {
          LOG.info("Job '{}' from configuration {}", spec.name(), r.getBoolean("created") ? "created" : "updated");
        }
      }));
    }
    return Future.all(puts).mapEmpty();
  }

  /**
   * Every so often (a tenth of the retention, at most hourly), purges the tombstones of deletes older than
   * {@code schedule.tombstoneRetentionMinutes} in the partitions this member owns, and the buried state of each
   * ({@link BuryState}).
   */
  private void purgeTombstones() {
    long retentionMs = config.tombstoneRetentionMinutes() * 60_000L;
    long every = Math.max(1_000, Math.min(retentionMs / 10, 3_600_000));
    com.hazelcast.core.HazelcastInstance hz = Cluster.hazelcast(vertx);
    vertx.setPeriodic(every, every, t -> {
      int asked = node.store.purge(clock.millis() - retentionMs,
        name -> hz.getPartitionService().getPartition(name).getOwner() != null
          && hz.getPartitionService().getPartition(name).getOwner().localMember(),
        // The deleted job's buried state goes with its tombstone (unless the job was created again since).
        (name, version) -> node.state.submitToKey(name, BuryState.forget(version)));
      if (asked > 0) {
        LOG.debug("Purging {} tombstone(s) of jobs deleted more than {} min ago", asked, config.tombstoneRetentionMinutes());
      }
    });
  }

  private void meters() {
    MeterRegistry registry = Metrics.registry(vertx);
    Gauge.builder("steward_schedule_jobs", node.store.replica(), java.util.Map::size)
      .description("Jobs in the cluster, as this node's replica sees them").register(registry);
    Gauge.builder("steward_schedule_active_jobs", node, n -> n.shards().stream().mapToInt(ShardVerticle::active).sum())
      .description("Jobs this node fires now (queued in its timers)").register(registry);
    Gauge.builder("steward_schedule_tombstones", node.store, JobStore::tombstones)
      .description("Deleted jobs whose tombstone this node holds (kept schedule.tombstoneRetentionMinutes)").register(registry);
    Gauge.builder("steward_schedule_fenced", node.fence, f -> f.isUp() ? 1 : 0)
      .description("1 while this node claims no tick (it stalled and has not yet confirmed its membership, or its clock is beyond schedule.clockFenceMs)").register(registry);
    if (node.fence.claimLease() != null) {
      Gauge.builder("steward_schedule_claim_lease", node.fence, f -> f.leaseHeld() ? 1 : 0)
        .description("With cluster.minimumSize: 1 while this node holds the claim lease (it heard from enough members to make up the minimum within schedule.leaseMs); 0: it claims no cluster-once tick (cut off from the majority, or the others do not answer: fix the network)").register(registry);
    }
    Gauge.builder("steward_schedule_clock_fenced", node.fence, f -> f.clockFenced() ? 1 : 0)
      .description("1 while this node's wall clock is further than schedule.clockFenceMs from the cluster clock: it claims no tick, the others fire its jobs").register(registry);
  }

  @Override
  public Future<?> stop() {
    if (node == null) {
      return Future.succeededFuture();
    }
    // The shards (children) stopped first; the first of them left the registry.
    node.fence.stop();
    return node.leave().eventually(() -> node.store.stop());
  }
}
