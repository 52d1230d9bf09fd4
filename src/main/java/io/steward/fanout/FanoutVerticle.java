package io.steward.fanout;

import com.hazelcast.core.HazelcastInstance;
import io.steward.bus.Addresses;
import io.steward.spi.Cluster;
import io.steward.bus.Door;
import io.steward.bus.Endpoint;
import io.steward.observe.Tracing;
import io.steward.spi.VertxInternals;
import io.vertx.core.Future;
import io.vertx.core.Promise;
import io.vertx.core.VerticleBase;
import io.vertx.core.eventbus.Message;
import io.vertx.core.json.JsonObject;

import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.Executor;
import java.util.function.Supplier;

/**
 * Answers {@code steward.fanout.run} and {@code steward.fanout.gather}. Each fan-out or gather runs on this
 * verticle's event loop; Hazelcast's member-removed events are brought onto it so a gather settles a node
 * that left at once instead of waiting for its timeout.
 */
final class FanoutVerticle extends VerticleBase {

  private final FanoutConfig config;
  private final Runs runs;
  /** Fan-outs and gathers of this instance, touched only on its event loop; at most fanout.maxRuns. */
  private final Map<Runs.Running, Future<JsonObject>> mine = new HashMap<>();
  private HazelcastInstance hz;
  private Cluster.Listening listener;
  /** A plain context on this verticle's event loop, where fan-outs send their requests (see {@link #sending}). */
  private Executor sendingContext;
  /** Null when tracing is off (docs/tracing.md). */
  private io.opentelemetry.api.trace.Tracer tracer;

  FanoutVerticle(FanoutConfig config, Runs runs) {
    this.config = config;
    this.runs = runs;
  }

  @Override
  public Future<?> start() {
    hz = Cluster.hazelcast(vertx);
    tracer = Tracing.tracer(vertx);
    sendingContext = VertxInternals.unhookedContextOn(vertx, context);
    listener = Cluster.onNodeLeft(hz, context, this::nodeLeft);
    return Future.all(
      Endpoint.consumer(vertx, Addresses.Fanout.RUN, this::run).completion(),
      Endpoint.consumer(vertx, Addresses.Fanout.GATHER, this::gather).completion());
  }

  private Future<JsonObject> run(Message<Object> message) {
    RunRequest request = RunRequest.parse(message.body(), config);
    Door door = Door.from(message.headers());
    if (door != null) {
      request.throughDoor(door);
    }
    // Traced, the run's span is a child of this message's (the fan-out runs on a context of its own, see sending).
    FanoutRun run = new FanoutRun(vertx, request, tracer, Tracing.current(tracer));
    return track(run, run::start);
  }

  private Future<JsonObject> gather(Message<Object> message) {
    GatherRequest request = GatherRequest.parse(message.body(), config);
    // Traced like a run: the gather's span is a child of this message's (captured here, before sending()).
    Gather gather = new Gather(vertx, request, Door.from(message.headers()), tracer, Tracing.current(tracer));
    return track(gather, gather::start);
  }

  /** Admits a run (429 over fanout.maxRuns) before it starts; forgets it when it answers. */
  private Future<JsonObject> track(Runs.Running run, Supplier<Future<JsonObject>> start) {
    runs.admit(run);
    Future<JsonObject> reply = sending(start);
    mine.put(run, reply);
    return reply.andThen(ar -> {
      mine.remove(run);
      runs.finished(run);
    });
  }

  /**
   * Starts a run on {@link #sendingContext}: the same event loop, so nothing changes threads, but not a
   * verticle's context. On a verticle's context Vert.x registers (and removes) a close hook for the reply
   * handler of every request, two synchronized map operations per item; the fan-out does not need them, as
   * {@link #stop()} waits for its runs and every request times out by itself.
   */
  private Future<JsonObject> sending(Supplier<Future<JsonObject>> start) {
    Promise<JsonObject> reply = Promise.promise();
    sendingContext.execute(() -> {
      try {
        start.get().onComplete(reply);
      } catch (RuntimeException e) {
        reply.fail(e);
      }
    });
    return reply.future();
  }

  private void nodeLeft(String nodeId) {
    for (Runs.Running r : List.copyOf(mine.keySet())) {
      if (r instanceof Gather g) {
        g.nodeLeft(nodeId);
      }
    }
  }

  /** Lets running fan-outs answer (each ends by its deadline; the node's drain bounds the wait). */
  @Override
  public Future<?> stop() {
    if (listener != null) {
      listener.close();
    }
    return Future.join(new ArrayList<>(mine.values()));
  }
}
