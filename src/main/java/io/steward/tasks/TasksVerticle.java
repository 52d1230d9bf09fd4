package io.steward.tasks;

import io.vertx.core.Context;
import com.hazelcast.core.HazelcastInstance;
import io.micrometer.core.instrument.Counter;
import io.micrometer.core.instrument.Gauge;
import io.micrometer.core.instrument.MeterRegistry;
import io.micrometer.core.instrument.Timer;
import io.steward.bus.Addresses;
import io.steward.spi.Cluster;
import io.steward.spi.LostPartitions;
import io.steward.bus.Endpoint;
import io.steward.bus.Fields;
import io.steward.observe.Metrics;
import io.vertx.core.Future;
import io.vertx.core.DeploymentOptions;
import io.vertx.core.Promise;
import io.vertx.core.VerticleBase;
import io.vertx.core.eventbus.MessageConsumer;
import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.time.Clock;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * The tasks module on one node: the {@code steward.tasks.*} addresses, this node's per-node task addresses,
 * and the timers that drive supervision (timeouts), publishing (events, the record of temporary tasks),
 * retention, and takeover of departed nodes' tasks.
 */
final class TasksVerticle extends VerticleBase {

  private static final Logger LOG = LoggerFactory.getLogger(TasksVerticle.class);
  static final long WATCHDOG_MS = 10;
  static final long DEFAULT_AWAIT_MS = 30_000;
  static final int MAX_DEAD_LETTERS_PAGE = 1_000;

  private final TasksConfig config;
  private final Clock clock;
  private final Clock elapsed;
  private final List<MessageConsumer<Object>> consumers = new ArrayList<>();
  private final List<Long> timers = new ArrayList<>();
  private TaskEngine engine;
  private Lookup lookup;
  private Submissions submissions;
  private TaskStore store;
  private Events events;
  private Takeover takeover;
  private LiveRecorder recorder;
  private final List<ClusterLimiter> limiters = new ArrayList<>();
  private Cluster.Listening limitsListener;
  /** A sweep frees the slots of an absent node taken at least this long ago (a node that just joined may not be listed yet). */
  static final long LIMIT_SWEEP_GRACE_MS = 30_000;
  private Pauses pauses;

  TasksVerticle(TasksConfig config) {
    this(config, Clock.systemUTC(), MonotonicClock.INSTANCE);
  }

  /** A tasks module on one clock that a test moves: its dates, timeouts and backoff delays all follow it. */
  TasksVerticle(TasksConfig config, Clock clock) {
    this(config, clock, clock);
  }

  /**
   * @param clock   the dates of this node's tasks (submitted, started, restarted, ended; events; retention)
   * @param elapsed what attempt timeouts and backoff delays are measured on: monotonic in production
   */
  TasksVerticle(TasksConfig config, Clock clock, Clock elapsed) {
    this.config = config;
    this.clock = clock;
    this.elapsed = elapsed;
  }

  /** Tests only: one more step of the start, which may be held or failed (StartingModuleTest). */
  static volatile java.util.function.Supplier<Future<Void>> startStep;

  @Override
  public Future<?> start() {
    String nodeId = Cluster.nodeId(vertx);
    HazelcastInstance hz = Cluster.hazelcast(vertx);
    Context ctx = context;
    MeterRegistry meterRegistry = Metrics.registry(vertx);

    Map<String, Supervisor> supervisors = new LinkedHashMap<>();
    for (SupervisorConfig sc : config.supervisors().values()) {
      if (sc.virtualThreads() && !VirtualThreads.available()) {
        LOG.warn("Supervisor '{}' asks for virtual threads, but this JVM is {} (virtual threads need 21 or later); "
          + "it runs on platform threads. Run the node on Java 21+ or set virtualThreads to false.", sc.name(),
          Runtime.version().feature());
      }
      supervisors.put(sc.name(), new Supervisor(sc, meterRegistry, elapsed, config.priorityAgingMs()));
    }
    Mailbox mailbox = new Mailbox(context);
    store = new TaskStore(vertx, mailbox, hz, config);
    Gauge.builder("steward_tasks_partitions_held", store.lostPartitions(), LostPartitions::size)
      .description("Partitions whose every copy left this node's cluster at once, whose task keys are refused submits "
        + "(503) until a split-brain merge brings the copies back or tasks.lostPartitionHoldSeconds passes")
      .register(meterRegistry);
    long capacity = config.supervisors().values().stream().mapToLong(SupervisorConfig::capacity).sum();
    TaskIds ids = TaskIds.forNode(nodeId);
    Registry registry = new Registry(ids, config.maxFinished(), capacity, dropped -> {
      if (dropped.recorded()) {
        store.forget(dropped.id());
      }
    });
    events = new Events(vertx, nodeId, config.maxEvents(), Counter.builder("steward_tasks_events_dropped")
      .description("Lifecycle events not published because an interval had more than tasks.maxEvents").register(meterRegistry),
      clock);
    TaskMeters.Cache meters = new TaskMeters.Cache(meterRegistry);
    engine = new TaskEngine(vertx, ctx, mailbox, nodeId, ids, config, supervisors, registry, events, meters, store, clock, elapsed,
      Timer.builder("steward_tasks_schedule_lateness").description("How long after its due time (delayMs, runAt) each "
        + "scheduled task was handed to its supervisor").publishPercentiles(0.5, 0.99).register(meterRegistry));
    Gauge.builder("steward_tasks_scheduled", engine, TaskEngine::scheduled)
      .description("Tasks on this node waiting for their due time (delayMs, runAt)").register(meterRegistry);
    lookup = new Lookup(vertx, nodeId, engine, store);
    pauses = new Pauses(vertx, ctx, hz, nodeId, supervisors, engine::resumed);
    // Nothing may start before this node knows which supervisors are paused: they all wait until it has read that.
    supervisors.values().forEach(s -> s.pause(1));
    Future<Void> pausesKnown = pauses.start();
    submissions = new Submissions(ctx, engine, lookup, store);
    takeover = new Takeover(vertx, ctx, nodeId, engine, store, events, meters,
      Counter.builder("steward_tasks_taken_over").description("Durable tasks of departed nodes this node took over")
        .register(meterRegistry),
      Counter.builder("steward_tasks_lost").description("Temporary tasks of departed nodes reported lost by this node")
        .register(meterRegistry));
    if (config.supervisors().values().stream().anyMatch(sc -> sc.limit() != null)) {
      com.hazelcast.map.IMap<String, String> slots = hz.getMap(LimitSlots.MAP);
      // The rate window is measured on the cluster clock, alike on every node (with a test's clock moved as it is).
      java.util.function.LongSupplier clusterNow = () -> clock.millis() + (store.clusterTime() - System.currentTimeMillis());
      supervisors.values().stream().filter(s -> s.config.limit() != null).forEach(s -> {
        ClusterLimiter l = new ClusterLimiter(s, s.config.limit(), vertx, ctx, mailbox, nodeId, slots, clusterNow,
          engine::limitGranted, meterRegistry);
        s.limiter = l;
        limiters.add(l);
      });
    }
    recorder = new LiveRecorder(vertx, nodeId, engine.ids().prefix(), registry, store,
      Timer.builder("steward_tasks_record_write").description("Latency of writing this node's record of temporary tasks")
        .publishPercentiles(0.5, 0.99).register(meterRegistry));

    // submit and run, the busiest addresses, here and on submitInstances - 1 more event loops
    consumers.addAll(SubmitVerticle.consumers(vertx, config, submissions));
    consumer(Addresses.Tasks.AWAIT, msg -> {
      Fields f = Fields.of(msg.body());
      String id = f.string("id", null, 200);
      long timeoutMs = f.longValue("timeoutMs", DEFAULT_AWAIT_MS, 1, TaskSpec.MAX_MS);
      f.done();
      return lookup.await(required(f, id), timeoutMs).compose(Replies::outcome);
    });
    consumer(Addresses.Tasks.GET, msg -> lookup.get(id(msg.body())));
    consumer(Addresses.Tasks.CANCEL, msg -> lookup.cancel(id(msg.body())));
    consumer(Addresses.Tasks.LIST, msg -> lookup.list(ListQuery.parse(msg.body())));
    consumer(Addresses.Tasks.DEADLETTERS, msg -> deadLetters(msg.body()));
    consumer(Addresses.Tasks.PAUSE, msg -> pauses.pause(supervisor(msg.body(), true), clock.millis())
      .compose(st -> lookup.confirm(st)));
    consumer(Addresses.Tasks.RESUME, msg -> pauses.resume(supervisor(msg.body(), true))
      .compose(st -> lookup.confirm(st)));
    consumer(Addresses.Tasks.SUPERVISORS, msg -> supervisorsHere(supervisor(msg.body(), false)));

    consumer(Addresses.node(nodeId, Addresses.Tasks.NODE_GET), msg -> lookup.getHere(id(msg.body())));
    consumer(Addresses.node(nodeId, Addresses.Tasks.NODE_CANCEL), msg -> lookup.cancelHere(id(msg.body())));
    consumer(Addresses.node(nodeId, Addresses.Tasks.NODE_LIST), msg -> lookup.listHere(ListQuery.parse(msg.body())));
    consumer(Addresses.node(nodeId, Addresses.Tasks.NODE_SUPERVISORS), msg -> {
      String name = supervisor(msg.body(), false);
      return name == null ? supervisorsHere(null) : pauses.refresh(name);
    });
    consumer(Addresses.node(nodeId, Addresses.Tasks.NODE_AWAIT), msg -> {
      Fields f = Fields.of(msg.body());
      String id = f.string("id", null, 200);
      long timeoutMs = f.longValue("timeoutMs", DEFAULT_AWAIT_MS, 1, TaskSpec.MAX_MS);
      f.done();
      return lookup.awaitHere(required(f, id), timeoutMs);
    });
    MessageConsumer<Object> health = Endpoint.localConsumer(vertx, Addresses.moduleHealth(nodeId, "tasks"), msg -> health());
    consumers.add(health);

    timers.add(vertx.setPeriodic(WATCHDOG_MS, t -> engine.tick()));
    timers.add(vertx.setPeriodic(config.publishMs(), t -> {
      events.publish();
      recorder.tick();
    }));
    long expireEvery = Math.max(1_000, config.finishedTtlMs() / 10);
    timers.add(vertx.setPeriodic(expireEvery, t -> registry.expire(clock.millis() - config.finishedTtlMs())));
    timers.add(vertx.setPeriodic(config.orphanSweepMs(), t -> {
      if (!hz.getLifecycleService().isRunning()) {
        return; // the member is gone (the node is stopping, or its member was terminated): nothing to sweep
      }
      takeover.sweep();
      sweepLimits(null);
    }));

    List<Future<?>> ready = new ArrayList<>();
    ready.add(pausesKnown);
    // The holds the cluster has are loaded before a keyed submit is taken.
    ready.add(vertx.executeBlocking(() -> {
      store.lostPartitions().startBlocking();
      return null;
    }, false));
    java.util.function.Supplier<Future<Void>> step = startStep;
    if (step != null) {
      ready.add(step.get());
    }
    consumers.forEach(c -> ready.add(c.completion()));
    if (config.submitInstances() > 1) { // a child deployment: undeployed with this one
      ready.add(vertx.deployVerticle(() -> new SubmitVerticle(config, submissions),
        new DeploymentOptions().setInstances(config.submitInstances() - 1)));
    }
    return Future.all(ready).onSuccess(v -> {
      submissions.open();
      takeover.start(hz);
      takeover.sweep(); // tasks of nodes that died while no tasks node was around
      if (!limiters.isEmpty()) {
        limiters.forEach(ClusterLimiter::start);
        limitsListener = Cluster.onNodeLeft(hz, ctx, this::sweepLimits);
        sweepLimits(null);
      }
      LOG.info("Tasks module up on node {}: supervisors {}", nodeId, describe(supervisors));
    }).recover(err -> vertx.executeBlocking(() -> {
      // A failed start is retried with a new instance (below cluster.minimumSize, say): leave no listener behind.
      store.lostPartitions().stopBlocking();
      return null;
    }, false).transform(v -> Future.failedFuture(err)));
  }

  /** Frees the cluster-limit slots of {@code departed} (Hazelcast reported it gone), or of any absent node (null). */
  private void sweepLimits(String departed) {
    if (limiters.isEmpty()) {
      return;
    }
    java.util.Set<String> live = Cluster.liveNodeIds(vertx);
    limiters.forEach(l -> l.reclaim(live, departed, LIMIT_SWEEP_GRACE_MS));
  }

  private static String describe(Map<String, Supervisor> supervisors) {
    StringBuilder sb = new StringBuilder();
    supervisors.values().forEach(s -> sb.append(sb.length() == 0 ? "" : ", ").append(s.name()).append(" (")
      .append(s.config.workers()).append(s.workers.virtual() ? " virtual" : "").append(" workers, ")
      .append(s.config.maxQueued()).append(" queued)"));
    return sb.toString();
  }

  private void consumer(String address, Endpoint.Handler handler) {
    consumers.add(Endpoint.consumer(vertx, address, handler));
  }

  /** The {@code supervisor} of a body ({@code required}: a 400 without it). */
  private static String supervisor(Object body, boolean required) {
    Fields f = Fields.of(body);
    String name = f.string("supervisor", null, 64);
    f.done();
    if (name == null && required) {
      throw f.bad("supervisor", "is required (a supervisor's name, see tasks.supervisors)");
    }
    return name;
  }

  /** This node's supervisors (or the one named): configuration, load, and whether it is paused. */
  private Future<JsonObject> supervisorsHere(String name) {
    JsonObject sups = new JsonObject();
    engine.supervisors().forEach((n, s) -> {
      if (name == null || name.equals(n)) {
        sups.put(n, s.stats());
      }
    });
    if (name != null && sups.isEmpty()) {
      return Future.failedFuture(io.steward.bus.StewardException.notFound("supervisor: no supervisor '" + name
        + "' (configured: " + String.join(", ", engine.supervisors().keySet()) + "; see tasks.supervisors)"));
    }
    return Future.succeededFuture(new JsonObject().put("node", Cluster.nodeId(vertx)).put("supervisors", sups));
  }

  private static String id(Object body) {
    Fields f = Fields.of(body);
    String id = f.string("id", null, 200);
    f.done();
    return required(f, id);
  }

  private static String required(Fields f, String id) {
    if (id == null) {
      throw f.bad("id", "is required");
    }
    return id;
  }

  private Future<JsonObject> deadLetters(Object body) {
    Fields f = Fields.of(body);
    String supervisor = f.string("supervisor", null, 64);
    String type = f.string("type", null, 100);
    int limit = f.integer("limit", ListQuery.DEFAULT_LIMIT, 1, MAX_DEAD_LETTERS_PAGE);
    f.done();
    return store.deadLetters(supervisor, type).map(all -> {
      all.sort(Comparator.comparingLong((JsonObject o) -> o.getLong("endedAt", 0L)).reversed());
      List<JsonObject> page = all.subList(0, Math.min(limit, all.size()));
      return new JsonObject().put("count", page.size()).put("total", all.size())
        .put("tasks", new JsonArray(new ArrayList<>(page)));
    });
  }

  private JsonObject health() {
    JsonObject sups = new JsonObject();
    engine.supervisors().forEach((name, s) -> sups.put(name, s.stats()));
    return new JsonObject().put("status", "UP").put("supervisors", sups)
      .put("live", engine.registry().liveCount()).put("kept", engine.registry().size());
  }

  /**
   * Stops taking tasks, lets accepted ones finish (the node's drain time bounds this), writes the last record
   * of temporary tasks, and stops the workers. Durable tasks still running are taken over by a survivor.
   */
  @Override
  public Future<?> stop() {
    engine.stopAccepting();
    takeover.stop();
    if (limitsListener != null) {
      limitsListener.close();
    }
    pauses.stop();
    List<Future<?>> unregistered = new ArrayList<>();
    consumers.forEach(c -> unregistered.add(c.unregister()));
    Promise<Void> drained = Promise.promise();
    Future.join(unregistered).onComplete(v -> awaitIdle(drained));
    Future<Void> unlistened = Cluster.hazelcast(vertx).getLifecycleService().isRunning() ? vertx.executeBlocking(() -> {
      store.lostPartitions().stopBlocking();
      return null;
    }, false) : Future.succeededFuture();
    return drained.future()
      .compose(v -> unlistened.otherwiseEmpty())
      .compose(v -> recorder.close().otherwiseEmpty())
      .onComplete(v -> {
        timers.forEach(vertx::cancelTimer);
        events.publish();
        limiters.forEach(ClusterLimiter::stop);
        engine.close();
      });
  }

  private void awaitIdle(Promise<Void> drained) {
    if (engine.idle()) {
      drained.tryComplete();
    } else {
      vertx.setTimer(50, t -> awaitIdle(drained));
    }
  }
}
