package io.steward.workflows;

import com.hazelcast.core.HazelcastInstance;
import io.micrometer.core.instrument.Gauge;
import io.micrometer.core.instrument.MeterRegistry;
import io.steward.bus.Addresses;
import io.steward.bus.Door;
import io.steward.bus.Endpoint;
import io.steward.bus.Fields;
import io.steward.observe.Metrics;
import io.steward.spi.Cluster;
import io.vertx.core.Future;
import io.vertx.core.VerticleBase;
import io.vertx.core.eventbus.MessageConsumer;

import java.util.ArrayList;
import java.util.List;

/**
 * Answers {@code steward.workflows.*}, listens to the tasks module's events (a step task that ended advances its
 * workflow at once), sweeps the unfinished workflows whose records this member holds every {@code workflows.sweepMs},
 * and every unfinished workflow of the cluster every {@link #FULL_SWEEP_EVERY} sweeps, as it starts, and at once when a
 * member left (it may hold that member's records now, or they may have moved to a member without this module).
 */
final class WorkflowsVerticle extends VerticleBase {

  /** Every this many sweeps, a node sweeps every unfinished workflow of the cluster, not only those it holds. */
  static final int FULL_SWEEP_EVERY = 10;

  private final WorkflowsConfig config;
  private final List<MessageConsumer<?>> consumers = new ArrayList<>();
  private Engine engine;
  private Cluster.Listening left;
  private long timer;
  private int sweeps;

  WorkflowsVerticle(WorkflowsConfig config) {
    this.config = config;
  }

  @Override
  public Future<?> start() {
    HazelcastInstance hz = Cluster.hazelcast(vertx);
    MeterRegistry registry = Metrics.registry(vertx);
    Runs runs = new Runs(vertx, hz.getMap(Runs.MAP), config.finishedTtlMs());
    Keys keys = new Keys(vertx, hz.getMap(Keys.MAP));
    engine = new Engine(vertx, Cluster.nodeId(vertx), runs, keys, System::currentTimeMillis,
      () -> hz.getCluster().getClusterTime(), config.finishedTtlMs(), registry);
    Gauge.builder("steward_workflows_running", engine, Engine::owned)
      .description("Unfinished workflows whose records this member holds (as of its last sweep)").register(registry);
    consumers.add(Endpoint.consumer(vertx, Addresses.Workflows.SUBMIT,
      msg -> engine.submit(msg.body(), Door.from(msg.headers()))));
    consumers.add(Endpoint.consumer(vertx, Addresses.Workflows.GET, msg -> engine.get(id(msg.body()))));
    consumers.add(Endpoint.consumer(vertx, Addresses.Workflows.CANCEL, msg -> engine.cancel(id(msg.body()))));
    consumers.add(Endpoint.consumer(vertx, Addresses.Workflows.RETRY, msg -> engine.retry(id(msg.body()))));
    consumers.add(Endpoint.consumer(vertx, Addresses.Workflows.LIST, msg -> {
      Fields f = Fields.of(msg.body());
      String state = f.oneOf("state", null, List.of("running", "succeeded", "failed", "cancelled"));
      String name = f.string("name", null, 200);
      int limit = f.integer("limit", 100, 1, 1_000);
      f.done();
      return engine.list(state, name, limit);
    }));
    consumers.add(vertx.eventBus().consumer(Addresses.Tasks.EVENTS, m -> engine.taskEvents(m.body())));
    left = Cluster.onNodeLeft(hz, context, node -> engine.sweepAll());
    timer = vertx.setPeriodic(config.sweepMs(), t -> {
      if (++sweeps % FULL_SWEEP_EVERY == 0) {
        engine.sweepAll();
      } else {
        engine.sweep();
      }
    });
    List<Future<?>> ready = new ArrayList<>();
    consumers.forEach(c -> ready.add(c.completion()));
    return Future.all(ready).onSuccess(v -> engine.sweepAll());
  }

  @Override
  public Future<?> stop() {
    vertx.cancelTimer(timer);
    if (left != null) {
      left.close();
    }
    List<Future<?>> done = new ArrayList<>();
    consumers.forEach(c -> done.add(c.unregister()));
    return Future.join(done);
  }

  private static String id(Object body) {
    Fields f = Fields.of(body);
    String id = f.string("id", null, 200);
    if (id == null) {
      throw f.bad("id", "is required (the id submit answered)");
    }
    f.done();
    return id;
  }
}
