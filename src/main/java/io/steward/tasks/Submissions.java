package io.steward.tasks;

import io.vertx.core.Context;
import io.steward.spi.VertxInternals;
import io.steward.bus.Endpoint;
import io.steward.bus.Failure;
import io.steward.bus.StewardException;
import io.vertx.core.Future;
import io.vertx.core.Promise;
import io.vertx.core.json.JsonObject;

/**
 * {@code submit} and {@code run}. Without an idempotency key, a temporary task touches nothing but this node:
 * resolve, admit, hand to the workers. With a key, the key is bound to the task id cluster-wide first; a key
 * bound to a task that is still pending or running answers with that task's id (and {@code run} waits for it),
 * a key bound to a task that ended less than {@code uniqueForMs} ago answers with that task too (its final
 * record for {@code run}); a key bound to a task that ended before that moves to the new task. A key moves only
 * when its task is known to be final, or is unknown to the node that accepted it once that node has settled it
 * ({@link Registry#accepting}), or that node left the cluster.
 */
final class Submissions {

  private static final int KEY_TRIES = 3;

  private final Context context;
  private final TaskEngine engine;
  private final Lookup lookup;
  private final TaskStore store;

  Submissions(Context context, TaskEngine engine, Lookup lookup, TaskStore store) {
    this.context = context;
    this.engine = engine;
    this.lookup = lookup;
    this.store = store;
  }

  /** A task accepted, or found by its key; {@code result} completes with its final record. */
  private record Accepted(String id, boolean existing, Future<JsonObject> result) {
    JsonObject reply() {
      JsonObject o = new JsonObject().put("id", id);
      return existing ? o.put("existing", true) : o;
    }
  }

  /**
   * Whether the module's start has succeeded: until then nothing is accepted (a start may fail after its consumers
   * are registered, and what its engine had accepted would belong to nobody: campaign seed 1004).
   */
  private volatile boolean open;

  /** The module's start succeeded: submits are accepted from now on. */
  void open() {
    open = true;
  }

  private void requireOpen() {
    if (!open) {
      throw StewardException.unavailable("the tasks module on this node is still starting (or its start failed and "
        + "is being retried); nothing was accepted: retry, or send to another node");
    }
  }

  /** The reply to a submit: {@code {id}}, null for a fire-and-forget temporary task, or a future of either. */
  Object submit(TaskSpec spec, boolean wantsReply) {
    requireOpen();
    TaskEngine.Resolved resolved = engine.resolve(spec);
    if (spec.key() != null) {
      return keyed(spec, resolved, null, 1).map(Accepted::reply);
    }
    Supervisor.Admission admission = engine.admit(spec, resolved.supervisor());
    Future<TaskRecord> started = engine.start(spec, resolved, admission, null, null);
    if (!wantsReply && started.succeeded()) {
      return null;
    }
    return started.map(r -> new JsonObject().put("id", r.id()));
  }

  /** The final record of the task, once it ends (or that of the live task holding its key). */
  Future<JsonObject> run(TaskSpec spec) {
    requireOpen();
    TaskEngine.Resolved resolved = engine.resolve(spec);
    Promise<JsonObject> waiter = VertxInternals.promise(context);
    if (spec.key() != null) {
      return keyed(spec, resolved, waiter, 1).compose(Accepted::result);
    }
    Supervisor.Admission admission = engine.admit(spec, resolved.supervisor());
    return engine.start(spec, resolved, admission, null, waiter).compose(r -> waiter.future());
  }

  private Future<Accepted> keyed(TaskSpec spec, TaskEngine.Resolved resolved, Promise<JsonObject> waiter, int tries) {
    String key = spec.key();
    TaskRecord local = engine.registry().byKey(key);
    if (local != null && engine.registry().acceptingOf(local.id()) != null) {
      // Still being accepted (a durable one's record is being written, and may be refused): wait for it as a submit
      // on another node does (at most 3 s, then 503), then look again, rather than answer with an id that may never
      // exist (fault campaign, seed 100 replayed: an "existing" answer for a refused task, unknown at the end).
      return lookup.accepted(local.id()).compose(v -> keyed(spec, resolved, waiter, tries));
    }
    if (local != null) {
      if (waiter != null) {
        engine.watch(local, waiter);
      }
      return Future.succeededFuture(new Accepted(local.id(), true, waiter == null ? null : waiter.future()));
    }
    String held = store.heldKey(key);
    if (held != null) {
      return Future.failedFuture(StewardException.unavailable("key: '" + key + "': " + held));
    }
    String id = engine.ids().next();
    // Until this attempt settles, a lookup of the id (here or from another node) waits rather than answering
    // "unknown": a key bound to a task that is not registered yet is not free.
    Promise<Void> settled = Promise.promise();
    engine.registry().accepting(id, settled.future());
    long keyTtlMs = resolved.keyTtlMs(engine.clock().millis());
    return store.bindKey(key, id, keyTtlMs).recover(err -> unconfirmed(key, err)).compose(binding -> {
      if (binding == null) {
        return startBound(spec, resolved, id, waiter);
      }
      String existing = Processors.boundId(binding);
      return holds(existing, Processors.boundEndedAt(binding), spec.uniqueForMs()).compose(holds -> {
        if (holds) {
          Future<JsonObject> result = waiter == null ? null : lookup.await(existing, TaskSpec.MAX_MS);
          return Future.succeededFuture(new Accepted(existing, true, result));
        }
        return store.rebindKey(key, existing, id, keyTtlMs).recover(err -> unconfirmed(key, err)).compose(moved -> {
          if (moved) {
            return startBound(spec, resolved, id, waiter);
          }
          if (tries >= KEY_TRIES) {
            return Future.failedFuture(StewardException.conflict("key: '" + key + "' is being bound by other submits "
              + "at the same time; retry"));
          }
          return keyed(spec, resolved, waiter, tries + 1);
        });
      });
    }).onComplete(ar -> settled.complete());
  }

  /**
   * A binding its backup did not confirm: nothing was started, and a binding to an id that never runs frees itself
   * (the next submit of the key finds the id unknown), so the submit is refused as not applied.
   */
  private static <T> Future<T> unconfirmed(String key, Throwable err) {
    if (Endpoint.indeterminate(err)) {
      return Future.failedFuture(StewardException.unavailable("key: '" + key + "' could not be bound: a backup member "
        + "did not confirm the binding in time (a member is cut off, overloaded or leaving); nothing was started; retry"));
    }
    return Future.failedFuture(err);
  }

  /**
   * Whether the task a key is bound to still holds it: a binding that says when its task ended decides by
   * itself (the task's record may be forgotten before its {@code uniqueForMs} is over); otherwise the task is
   * looked up, and only a task known to be final, or unknown to its node or to a cluster it has left, frees it.
   */
  private Future<Boolean> holds(String existing, long endedAt, long uniqueForMs) {
    if (endedAt > 0) {
      // both on the cluster clock (TaskStore.holdKey): the task's node and this one may disagree on the wall time
      return Future.succeededFuture(uniqueForMs > 0 && store.clusterTime() - endedAt < uniqueForMs);
    }
    return lookup.keyHolder(existing).transform(ar -> {
      if (ar.succeeded()) {
        return Future.succeededFuture(stillHolds(ar.result(), uniqueForMs, store.clusterTime()));
      }
      return Failure.of(ar.cause()) == Failure.NOT_FOUND ? Future.succeededFuture(false) : Future.failedFuture(ar.cause());
    });
  }

  /**
   * A live task holds its key; a finished one while its end is less than {@code uniqueForMs} ago. Only for a binding
   * that does not say when its task ended (the end not yet written to it). The task's node answers with the end on
   * the cluster clock ({@link TaskRecord#keyHolderJson}), judged against {@code clusterNow}; a record read from the
   * map has only its node's wall clock, so there a skew between the two nodes still moves the window.
   */
  static boolean stillHolds(JsonObject record, long uniqueForMs, long clusterNow) {
    if (!TaskState.of(record.getString("state")).isFinal() || record.getBoolean(TaskRecord.END_UNRECORDED, false)) {
      return true;
    }
    Long endedAtCluster = record.getLong(TaskRecord.ENDED_AT_CLUSTER);
    if (endedAtCluster != null) {
      return uniqueForMs > 0 && clusterNow - endedAtCluster < uniqueForMs;
    }
    long endedAt = record.getLong("endedAt", 0L);
    return uniqueForMs > 0 && endedAt > 0 && System.currentTimeMillis() - endedAt < uniqueForMs;
  }

  private Future<Accepted> startBound(TaskSpec spec, TaskEngine.Resolved resolved, String id, Promise<JsonObject> waiter) {
    String stalled = store.stalled();
    if (stalled != null) {
      // Checked once the key is bound, so that a submit already under way when the stall began is caught too: its
      // binding may be on this node's stale copy, which the others (who removed it) never see.
      store.unbindKey(spec.key(), id);
      return Future.failedFuture(StewardException.unavailable("key: '" + spec.key() + "': " + stalled + "; a keyed "
        + "submit is refused until cluster.failureDetectionSeconds have passed since the stall, so that a key is never "
        + "bound on a copy the rest of the cluster no longer holds; nothing was accepted; retry (on another node)"));
    }
    Supervisor.Admission admission;
    try {
      admission = engine.admit(spec, resolved.supervisor());
    } catch (StewardException e) {
      store.unbindKey(spec.key(), id);
      return Future.failedFuture(e);
    }
    // A 504 leaves the key bound: the task may exist, and a retry with the key then finds it rather than start another.
    return engine.start(spec, resolved, admission, id, waiter)
      .onFailure(err -> {
        if (Failure.of(err) != Failure.INDETERMINATE) {
          store.unbindKey(spec.key(), id);
        }
      })
      .map(r -> new Accepted(r.id(), false, waiter == null ? null : waiter.future()));
  }
}
