package io.steward.cache;

import io.steward.bus.Addresses;
import io.steward.spi.Cluster;
import io.steward.bus.Failure;
import io.steward.bus.Fields;
import io.steward.observe.LogText;
import io.steward.bus.StewardException;
import io.steward.observe.Tracing;
import io.vertx.core.Context;
import io.vertx.core.Future;
import io.vertx.core.Promise;
import io.vertx.core.Vertx;
import io.vertx.core.json.JsonObject;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.UUID;

/**
 * {@code getOrCompute}: on a miss, one computation per key per cluster, however many callers on however
 * many nodes ask at once.
 * <ol>
 *   <li>On each node, callers of the same key share one local flight (so a node takes part once).</li>
 *   <li>The flight reads the value; on a miss it claims the key in the cache's computing map with an entry
 *       processor on the key's owner ({@link Processors.Claim}): the first claim wins and leaves a marker
 *       (claimer node, TTL = the computation's timeout); a later claim adds its node to the marker's waiters.</li>
 *   <li>The winner reads the value again on the owner (it may have been stored just before the claim),
 *       computes, stores the value, removes the marker ({@link Processors.Finish}) — which hands back the
 *       waiters atomically — and tells each waiting node on {@code steward.node.<id>.cache.computed}. A
 *       failure is told the same way, and not stored (unless the cache remembers failures for a while).</li>
 *   <li>A waiter whose claimer leaves the cluster takes the claim over; a claimer that hangs is bounded by its
 *       timeout, and the marker's TTL clears a claim nobody finished.</li>
 * </ol>
 * Confined to the module's event loop; the flights are bounded by {@code cache.maxComputes}.
 */
final class SingleFlight {

  private static final Logger LOG = LoggerFactory.getLogger(SingleFlight.class);
  private static final int MARKER_MARGIN_SECONDS = 2;
  /** Finish without a result: the waiting nodes should claim the key again. */
  private static final int RETRY = -1;

  /** What a caller gets: the value, and whether it was computed for this request (false: it was cached). */
  record Result(Object value, boolean computed) {
  }

  private final Vertx vertx;
  private final Context context;
  private final String nodeId;
  private final int maxFlights;
  private final Map<String, Local> flights = new HashMap<>();
  /** Null when tracing is off (docs/tracing.md). */
  private final io.opentelemetry.api.trace.Tracer tracer;

  /** This node's share in one key's flight. */
  private final class Local {
    final String id;
    final CacheHandle cache;
    final String key;
    final Computation computation;
    final long timeoutMs;
    final int ttlSeconds;
    final String token = UUID.randomUUID().toString();
    /** The trace of the caller that started this flight (its compute's span hangs there), or null untraced. */
    final io.opentelemetry.context.Context trace = Tracing.current(tracer);
    final Promise<Result> promise = Promise.promise();
    final long deadline;
    String claimId;
    /** The node computing the key, while this node waits for it. */
    String claimer;
    long timer;

    Local(String id, CacheHandle cache, String key, Computation computation, long timeoutMs, int ttlSeconds) {
      this.id = id;
      this.cache = cache;
      this.key = key;
      this.computation = computation;
      this.timeoutMs = timeoutMs;
      this.ttlSeconds = ttlSeconds;
      this.deadline = System.currentTimeMillis() + timeoutMs;
    }

    boolean done() {
      return promise.future().isComplete();
    }

    long remainingMs() {
      return Math.max(1, deadline - System.currentTimeMillis());
    }
  }

  SingleFlight(Vertx vertx, Context context, String nodeId, int maxFlights) {
    this.vertx = vertx;
    this.context = context;
    this.nodeId = nodeId;
    this.maxFlights = maxFlights;
    this.tracer = Tracing.tracer(vertx);
  }

  int inFlight() {
    return flights.size();
  }

  Future<Result> getOrCompute(CacheHandle cache, String key, Computation computation, long timeoutMs, int ttlSeconds) {
    String id = cache.name() + '\u0000' + key;
    Local flight = flights.get(id);
    if (flight == null) {
      if (flights.size() >= maxFlights) {
        throw StewardException.overCapacity("this node is already computing or awaiting " + flights.size()
          + " keys (cache.maxComputes); retry after a backoff");
      }
      Local f = new Local(id, cache, key, computation, timeoutMs, ttlSeconds);
      flights.put(id, f);
      f.timer = vertx.setTimer(timeoutMs, t -> expire(f));
      f.promise.future().onComplete(ar -> {
        vertx.cancelTimer(f.timer);
        flights.remove(id, f);
      });
      read(f);
      flight = f;
    }
    Local f = flight;
    if (timeoutMs >= f.remainingMs()) {
      return f.promise.future();
    }
    // A caller that joins with a shorter timeout than the flight has left stops waiting sooner.
    Promise<Result> mine = Promise.promise();
    long timer = vertx.setTimer(timeoutMs, t -> mine.tryFail(timedOut(f, timeoutMs)));
    f.promise.future().onComplete(ar -> {
      vertx.cancelTimer(timer);
      if (ar.succeeded()) {
        mine.tryComplete(ar.result());
      } else {
        mine.tryFail(ar.cause());
      }
    });
    return mine.future();
  }

  private void read(Local f) {
    Hz.on(context, f.cache.values().getAsync(f.key)).onComplete(ar -> {
      if (ar.failed()) {
        fail(f, Hz.translate(ar.cause(), "getOrCompute of '" + f.key + "'", false));
      } else if (CacheValue.live(ar.result()) != null) {
        f.promise.tryComplete(new Result(ar.result().value(), false));
      } else {
        claim(f, null);
      }
    });
  }

  private void claim(Local f, String deadClaimer) {
    if (f.done()) {
      return;
    }
    f.claimId = UUID.randomUUID().toString();
    f.claimer = null;
    int markerTtl = (int) Math.min(Integer.MAX_VALUE, (f.timeoutMs + 999) / 1000 + MARKER_MARGIN_SECONDS);
    Processors.Claim claim = new Processors.Claim(f.claimId, nodeId, f.token, markerTtl, deadClaimer);
    Hz.on(context, f.cache.computing().submitToKey(f.key, claim)).onComplete(ar -> {
      if (ar.failed()) {
        fail(f, Hz.translate(ar.cause(), "getOrCompute of '" + f.key + "'", false));
        return;
      }
      String[] r = ar.result();
      switch (r[0]) {
        case Processors.CLAIMED -> claimed(f);
        case Processors.WAITING -> {
          f.claimer = r[1];
          if (!Cluster.liveNodeIds(vertx).contains(f.claimer)) {
            claim(f, f.claimer); // it left before it could finish: take over
          }
        }
        case Processors.FAILED -> fail(f, new StewardException(Failure.ofCode(Integer.parseInt(r[1])),
          r[2] + " (remembered for negativeTtlSeconds)"));
        default -> fail(f, new IllegalStateException("unexpected claim result " + r[0]));
      }
    });
  }

  private void claimed(Local f) {
    if (f.done()) {
      finish(f, Failure.TIMEOUT.code(), "the node that claimed the computation gave up before computing (its caller "
        + "timed out); retry", null);
      return;
    }
    // The value may have been stored between our read and our claim: read it again, on the owner.
    Hz.on(context, f.cache.values().submitToKey(f.key, new Processors.Read())).onComplete(ar -> {
      if (ar.succeeded() && ar.result() != null) {
        Object value = JsonValues.decode(ar.result());
        finish(f, 0, null, value);
        f.promise.tryComplete(new Result(value, false));
      } else {
        compute(f);
      }
    });
  }

  private void compute(Local f) {
    f.computation.run(vertx, f.cache.name(), f.key, f.remainingMs(), f.trace).onComplete(ar -> {
      if (f.done()) {
        return; // timed out meanwhile: the claim is already released and the waiters told
      }
      if (ar.failed()) {
        Throwable err = ar.cause();
        Failure failure = Failure.of(err);
        finish(f, failure.code(), err.getMessage(), null);
        fail(f, err);
        return;
      }
      String json;
      try {
        json = f.cache.value("value", ar.result());
      } catch (StewardException e) {
        String message = "compute gave a value this cache cannot hold: " + e.getMessage();
        finish(f, Failure.HANDLER_FAILED.code(), message, null);
        fail(f, new StewardException(Failure.HANDLER_FAILED, message));
        return;
      }
      CacheValue value = CacheValue.of(json);
      // Keeps the update ids of an entry an update wrote while this computed.
      var store = f.cache.values().submitToKey(f.key, new Processors.Put(json, f.ttlSeconds >= 0 ? f.ttlSeconds : -1,
        f.cache.stamp()));
      Hz.on(context, store).onComplete(stored -> {
        if (stored.failed()) {
          LOG.warn("Computed '{}' in cache '{}' but could not store it ({}); the callers get the value, the next "
            + "caller computes again", LogText.escape(f.key), LogText.escape(f.cache.name()),
            LogText.escape(Hz.unwrap(stored.cause())));
        } else {
          f.cache.stored(1);
        }
        finish(f, 0, null, value.value());
        f.promise.tryComplete(new Result(value.value(), true));
      });
    });
  }

  /** Releases the claim (remembering a failure if the cache says so) and tells the waiting nodes. */
  private void finish(Local f, int failure, String message, Object value) {
    String claimId = f.claimId;
    int negativeTtl = failure > 0 && Computation.cacheable(Failure.ofCode(failure))
      ? f.cache.spec().negativeTtlSeconds() : 0;
    Hz.on(context, f.cache.computing().submitToKey(f.key, new Processors.Finish(claimId, failure, message, negativeTtl)))
      .onComplete(ar -> {
        if (ar.failed()) {
          LOG.warn("Could not release the computation of '{}' in cache '{}' ({}); nodes waiting for it time out, "
            + "and its marker expires after the compute timeout", LogText.escape(f.key), LogText.escape(f.cache.name()),
            LogText.escape(Hz.unwrap(ar.cause())));
          return;
        }
        String[] waiters = ar.result();
        for (int i = 0; i + 1 < waiters.length; i += 2) {
          JsonObject told = new JsonObject().put("cache", f.cache.name()).put("key", f.key).put("token", waiters[i + 1]);
          if (failure == RETRY) {
            told.put("retry", true);
          } else if (failure != 0) {
            told.put("failure", failure).put("message", message);
          } else {
            told.put("value", value);
          }
          vertx.eventBus().send(Addresses.node(waiters[i], Addresses.Cache.NODE_COMPUTED), told);
        }
      });
  }

  /**
   * A claimer told this node how the key's computation ended. The message comes over the bus, so it is read like
   * any request: a malformed one is a 400 to its sender, never a ClassCastException here.
   */
  void computed(Object body) {
    Fields told = Fields.of(body);
    String cache = told.string("cache");
    String key = told.string("key");
    String token = told.string("token");
    boolean retry = told.bool("retry", false);
    Long failure = told.optionalLong("failure", 400, 599);
    Object message = told.value("message");
    Object value = told.value("value");
    told.done();
    if (message != null && !(message instanceof String)) {
      throw told.bad("message", "must be a string, got " + Fields.typeName(message));
    }
    Local f = flights.get(cache + '\u0000' + key);
    if (f == null || !f.token.equals(token)) {
      return; // that wait is over already (timed out, or answered another way)
    }
    if (retry) {
      claim(f, null); // the claimer stopped without computing: claim again
    } else if (failure != null) {
      fail(f, new StewardException(Failure.ofCode(failure.intValue()), (String) message));
    } else if (value == null) {
      fail(f, new StewardException(Failure.HANDLER_FAILED, "the computing node sent no value"));
    } else {
      f.promise.tryComplete(new Result(value, true));
    }
  }

  /** A node left the cluster: the flights waiting for it take over its claims. */
  void nodeLeft(String node) {
    List<Local> orphans = new ArrayList<>();
    for (Local f : flights.values()) {
      if (node.equals(f.claimer) && !f.done()) {
        orphans.add(f);
      }
    }
    for (Local f : orphans) {
      LOG.info("Node {} left while computing '{}' of cache '{}'; this node takes the computation over", node,
        LogText.escape(f.key), LogText.escape(f.cache.name()));
      claim(f, node);
    }
  }

  private void expire(Local f) {
    if (f.done()) {
      return;
    }
    StewardException timeout = timedOut(f, f.timeoutMs);
    if (f.claimer == null && f.claimId != null) {
      finish(f, timeout.failure().code(), timeout.getMessage(), null); // we hold the claim: release it, tell the waiters
    }
    fail(f, timeout);
  }

  private static StewardException timedOut(Local f, long timeoutMs) {
    return StewardException.timeout("getOrCompute of '" + f.key + "' in cache '" + f.cache.name() + "' got no value "
      + "within timeoutMs " + timeoutMs + (f.claimer != null ? " (node " + f.claimer + " is computing it)" : ""));
  }

  private void fail(Local f, Throwable err) {
    f.promise.tryFail(err);
  }

  /** Ends every flight (the module is stopping): claims are released so other nodes can compute. */
  void close() {
    for (Local f : new ArrayList<>(flights.values())) {
      if (f.claimer == null && f.claimId != null && !f.done()) {
        finish(f, RETRY, null, null); // the waiting nodes claim again, one of them computes
      }
      fail(f, StewardException.unavailable("getOrCompute of '" + f.key + "' ended: the cache module on this node is stopping"));
    }
  }
}
