package io.steward.tasks;

import io.steward.bus.Addresses;
import io.steward.spi.Cluster;
import io.steward.bus.Failure;
import io.steward.bus.StewardException;
import io.vertx.core.Future;
import io.vertx.core.Promise;
import io.vertx.core.Vertx;
import io.vertx.core.eventbus.DeliveryOptions;
import io.vertx.core.eventbus.ReplyException;
import io.vertx.core.eventbus.ReplyFailure;
import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;

import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import java.util.Set;

/**
 * Finds a task wherever it is, so get, cancel and await work from any node: this node's registry first; then
 * the node that accepted it (its id names it), asked on its per-node address; then the cluster-wide records
 * (live durable tasks with their owner, final records of durable and lost tasks). Temporary tasks live only on
 * their node, so nothing about them is written on the submit path.
 */
final class Lookup {

  private static final long ASK_TIMEOUT_MS = 5_000;
  private static final long OWNER_RETRY_MS = 250;
  /** How long a lookup waits for a task whose id is being bound to a key (a few ms normally). */
  private static final long ACCEPT_WAIT_MS = 3_000;

  private final Vertx vertx;
  private final String nodeId;
  private final TaskEngine engine;
  private final TaskStore store;

  Lookup(Vertx vertx, String nodeId, TaskEngine engine, TaskStore store) {
    this.vertx = vertx;
    this.nodeId = nodeId;
    this.engine = engine;
    this.store = store;
  }

  // ---- what this node answers on its per-node addresses

  /** A task of this node, as a key's holder sees it ({@link TaskRecord#keyHolderJson}): {@link #get} strips the mark. */
  Future<JsonObject> getHere(String id) {
    return accepted(id).map(v -> {
      TaskRecord r = engine.registry().get(id);
      if (r == null) {
        throw StewardException.notFound("id: no task '" + id + "' on node " + nodeId);
      }
      return r.keyHolderJson(clusterOffsetMs());
    });
  }

  /** Cluster time minus this node's wall clock (as {@link TaskStore#holdKey} corrects a task's end). */
  private long clusterOffsetMs() {
    return store.clusterTime() - System.currentTimeMillis();
  }

  Future<JsonObject> cancelHere(String id) {
    TaskRecord r = engine.registry().get(id);
    if (r == null) {
      throw StewardException.notFound("id: no task '" + id + "' on node " + nodeId);
    }
    return engine.cancel(r);
  }

  /** The task's final record, once it ends. */
  Future<JsonObject> awaitHere(String id, long timeoutMs) {
    return accepted(id).compose(v -> {
      TaskRecord r = engine.registry().get(id);
      if (r == null) {
        throw StewardException.notFound("id: no task '" + id + "' on node " + nodeId);
      }
      return engine.await(r, timeoutMs);
    });
  }

  /**
   * Completes once the id is no longer being bound to a key here (its task accepted, a durable one's record confirmed
   * on a backup, or refused), at once for any other id; 503 if that takes longer than {@link #ACCEPT_WAIT_MS} (a
   * record's write waits up to Hazelcast's 5 s backup timeout). Checked before the registry: a task is
   * registered before its id stops being "accepting", so one of the two always sees it.
   */
  Future<Void> accepted(String id) {
    Future<?> settling = engine.registry().acceptingOf(id);
    if (settling == null) {
      return Future.succeededFuture();
    }
    Promise<Void> done = Promise.promise();
    long timer = vertx.setTimer(ACCEPT_WAIT_MS, t -> done.tryFail(StewardException.unavailable("task " + id
      + " is still being accepted on node " + nodeId + " (its key is bound, its record not yet confirmed); retry")));
    settling.onComplete(ar -> {
      vertx.cancelTimer(timer);
      done.tryComplete();
    });
    return done.future();
  }

  JsonObject listHere(ListQuery q) {
    List<JsonObject> out = new ArrayList<>();
    collect(engine.registry().all(), q, out);
    out.sort(NEWEST_FIRST);
    List<JsonObject> page = out.subList(0, Math.min(q.limit(), out.size()));
    return new JsonObject().put("tasks", new JsonArray(new ArrayList<>(page))).put("total", out.size());
  }

  private static void collect(Iterable<TaskRecord> records, ListQuery q, List<JsonObject> out) {
    for (TaskRecord r : records) {
      if (q.matches(r)) {
        out.add(r.summary());
      }
    }
  }

  private static final Comparator<JsonObject> NEWEST_FIRST = Comparator
    .comparingLong((JsonObject o) -> o.getLong("submittedAt", 0L)).reversed()
    .thenComparing(o -> o.getString("id"));

  // ---- cluster-wide

  Future<JsonObject> get(String id) {
    return get(id, false);
  }

  /**
   * The task an idempotency key is bound to, as {@link #get}, except that a live node that accepted the task
   * and does not answer (its tasks module is stopping, or it is dying) is an error (503), not "unknown": only a
   * task known to have ended, or whose node left the cluster, frees its key.
   */
  Future<JsonObject> keyHolder(String id) {
    return get(id, true);
  }

  private Future<JsonObject> get(String id, boolean strict) {
    return accepted(id).compose(v -> {
      TaskRecord r = engine.registry().get(id);
      if (r != null) {
        return Future.succeededFuture(strict ? r.keyHolderJson(clusterOffsetMs()) : r.toJson());
      }
      return askOrigin(id, Addresses.Tasks.NODE_GET, new JsonObject().put("id", id), ASK_TIMEOUT_MS, strict)
        .compose(found -> found != null && found != SILENT
          ? Future.succeededFuture(strict ? found : withoutMark(found)) : store.get(id).compose(rec -> {
          if (rec != null) {
            return Future.succeededFuture(rec);
          }
          return Future.failedFuture(found == SILENT ? silent(id) : unknown(id));
        }));
    });
  }

  private static JsonObject withoutMark(JsonObject record) {
    record.remove(TaskRecord.END_UNRECORDED);
    record.remove(TaskRecord.ENDED_AT_CLUSTER);
    return record;
  }

  /** A live node that accepted the task did not answer for it (see {@link #keyHolder}). */
  private static final JsonObject SILENT = new JsonObject();

  private StewardException silent(String id) {
    return StewardException.unavailable("task " + id + " holds its key on node " + TaskIds.origin(id, live())
      + ", which does not answer (its tasks module is stopping, or it is dying); the key stays bound until the task "
      + "ends or the node leaves; retry");
  }

  Future<JsonObject> cancel(String id) {
    TaskRecord r = engine.registry().get(id);
    if (r != null) {
      return engine.cancel(r);
    }
    JsonObject body = new JsonObject().put("id", id);
    return askOrigin(id, Addresses.Tasks.NODE_CANCEL, body, ASK_TIMEOUT_MS)
      .compose(done -> done != null ? Future.succeededFuture(done) : store.get(id).compose(rec -> {
        if (rec == null) {
          return Future.failedFuture(unknown(id));
        }
        if (isFinal(rec)) {
          return Future.failedFuture(StewardException.conflict("task " + id + " already ended: " + rec.getString("state")));
        }
        String owner = rec.getString("node");
        if (owner.equals(nodeId)) {
          TaskRecord mine = engine.registry().get(id);
          return mine != null ? engine.cancel(mine) : Future.failedFuture(takingOver(id, owner));
        }
        if (!live().contains(owner)) {
          return Future.failedFuture(takingOver(id, owner));
        }
        return ask(owner, Addresses.Tasks.NODE_CANCEL, body, ASK_TIMEOUT_MS)
          .compose(j -> j != null ? Future.succeededFuture(j) : Future.failedFuture(takingOver(id, owner)));
      }));
  }

  /** The final record of the task once it ends, wherever it runs; 408 if {@code timeoutMs} passes first. */
  Future<JsonObject> await(String id, long timeoutMs) {
    long deadline = System.currentTimeMillis() + timeoutMs;
    Promise<JsonObject> done = Promise.promise();
    awaitAttempt(id, deadline, timeoutMs, done);
    return done.future();
  }

  private void awaitAttempt(String id, long deadline, long timeoutMs, Promise<JsonObject> done) {
    long left = deadline - System.currentTimeMillis();
    if (left <= 0) {
      done.tryFail(StewardException.timeout("task " + id + " did not end within " + timeoutMs + " ms"));
      return;
    }
    if (engine.registry().acceptingOf(id) != null) { // being bound to a key: ask again once it is registered
      accepted(id).onComplete(v -> awaitAttempt(id, deadline, timeoutMs, done));
      return;
    }
    TaskRecord r = engine.registry().get(id);
    if (r != null) {
      engine.await(r, left).onComplete(ar -> {
        if (ar.failed() && Failure.of(ar.cause()) == Failure.UNAVAILABLE && engine.registry().get(id) == null) {
          // dropped here: another node took it over while this one was cut off; follow it to its record
          vertx.setTimer(OWNER_RETRY_MS, t -> awaitAttempt(id, deadline, timeoutMs, done));
        } else {
          done.handle(ar);
        }
      });
      return;
    }
    JsonObject body = new JsonObject().put("id", id).put("timeoutMs", left);
    askOrigin(id, Addresses.Tasks.NODE_AWAIT, body, left + ASK_TIMEOUT_MS)
      .compose(found -> found != null ? Future.succeededFuture(found) : store.get(id).compose(rec -> {
        if (rec == null || isFinal(rec)) {
          return Future.succeededFuture(rec);
        }
        String owner = rec.getString("node");
        if (owner.equals(nodeId) || !live().contains(owner)) {
          return Future.succeededFuture(RETRY); // being taken over: ask again shortly
        }
        return ask(owner, Addresses.Tasks.NODE_AWAIT, body, left + ASK_TIMEOUT_MS)
          .map(j -> j != null ? j : RETRY);
      }))
      .onComplete(ar -> {
        if (ar.failed()) {
          Failure f = Failure.of(ar.cause());
          if (f == Failure.UNAVAILABLE || f == Failure.INDETERMINATE) {
            vertx.setTimer(OWNER_RETRY_MS, t -> awaitAttempt(id, deadline, timeoutMs, done)); // its node just died
          } else {
            done.tryFail(ar.cause());
          }
        } else if (ar.result() == null) {
          done.tryFail(unknown(id));
        } else if (ar.result() == RETRY) {
          vertx.setTimer(OWNER_RETRY_MS, t -> awaitAttempt(id, deadline, timeoutMs, done));
        } else {
          done.tryComplete(ar.result());
        }
      });
  }

  private static final JsonObject RETRY = new JsonObject();

  /** Every task node's list, merged: newest first. Nodes that do not run tasks are skipped. */
  Future<JsonObject> list(ListQuery q) {
    List<Future<JsonObject>> parts = new ArrayList<>();
    List<String> nodes = new ArrayList<>(live());
    for (String n : nodes) {
      parts.add(n.equals(nodeId) ? Future.succeededFuture(listHere(q))
        : vertx.eventBus().request(Addresses.node(n, Addresses.Tasks.NODE_LIST), q.toJson(),
          new DeliveryOptions().setSendTimeout(ASK_TIMEOUT_MS)).map(m -> (JsonObject) m.body()));
    }
    return Future.join(parts).transform(ar -> {
      List<JsonObject> all = new ArrayList<>();
      JsonArray incomplete = new JsonArray();
      long total = 0;
      int answered = 0;
      for (int i = 0; i < parts.size(); i++) {
        Future<JsonObject> p = parts.get(i);
        if (p.succeeded()) {
          answered++;
          total += p.result().getLong("total", 0L);
          p.result().getJsonArray("tasks").forEach(t -> all.add((JsonObject) t));
        } else if (Failure.of(p.cause()) != Failure.UNAVAILABLE) {
          incomplete.add(nodes.get(i)); // it runs tasks but did not answer in time
        }
      }
      all.sort(NEWEST_FIRST);
      List<JsonObject> page = all.subList(0, Math.min(q.limit(), all.size()));
      JsonObject out = new JsonObject().put("count", page.size()).put("total", total).put("nodes", answered)
        .put("tasks", new JsonArray(new ArrayList<>(page)));
      if (!incomplete.isEmpty()) {
        out.put("incomplete", incomplete);
      }
      return Future.succeededFuture(out);
    });
  }

  /**
   * Completes a pause or resume ({@code status}, this node's view) once every other tasks node has read the new
   * state ({@code nodes}: how many tasks nodes know it, this one included); nodes that did not answer in time are
   * listed in {@code unconfirmed} (they follow the map's event when it reaches them).
   */
  Future<JsonObject> confirm(JsonObject status) {
    JsonObject ask = new JsonObject().put("supervisor", status.getString("supervisor"));
    List<String> nodes = new ArrayList<>(live());
    nodes.remove(nodeId);
    List<Future<Object>> parts = new ArrayList<>();
    for (String n : nodes) {
      parts.add(vertx.eventBus().request(Addresses.node(n, Addresses.Tasks.NODE_SUPERVISORS), ask,
        new DeliveryOptions().setSendTimeout(ASK_TIMEOUT_MS)).map(m -> m.body()));
    }
    return Future.join(parts).transform(ar -> {
      int confirmed = 1;
      JsonArray unconfirmed = new JsonArray();
      for (int i = 0; i < parts.size(); i++) {
        Future<Object> p = parts.get(i);
        if (p.succeeded()) {
          confirmed++;
        } else if (Failure.of(p.cause()) != Failure.UNAVAILABLE) {
          unconfirmed.add(nodes.get(i)); // it runs tasks but did not answer in time
        }
      }
      status.put("nodes", confirmed);
      if (!unconfirmed.isEmpty()) {
        status.put("unconfirmed", unconfirmed);
      }
      return Future.succeededFuture(status);
    });
  }

  // ---- helpers

  private Set<String> live() {
    return Cluster.liveNodeIds(vertx);
  }

  /** Asks the node that accepted the task (if it is another live node); null when it does not know the task. */
  private Future<JsonObject> askOrigin(String id, String verb, JsonObject body, long timeoutMs) {
    return askOrigin(id, verb, body, timeoutMs, false);
  }

  /**
   * As above; {@code strict}: a live origin that does not answer (no handler) answers {@link #SILENT}, not null, and
   * one that answers 503 itself (the task still being accepted there) fails with that answer.
   */
  private Future<JsonObject> askOrigin(String id, String verb, JsonObject body, long timeoutMs, boolean strict) {
    String origin = TaskIds.origin(id, live());
    if (origin == null || origin.equals(nodeId)) {
      return Future.succeededFuture(null);
    }
    return ask(origin, verb, body, timeoutMs).recover(err -> {
      if (Failure.of(err) != Failure.UNAVAILABLE) {
        return Future.failedFuture(err);
      }
      if (strict && answered(err)) {
        // The origin itself answered 503: above all "still being accepted" (its record's write not yet confirmed). Its
        // record may be readable in the map all the same, applied by its owner only, and then refused: not a key holder
        // to answer "existing" with (campaign seed 1025: two "existing" answers for a task that never existed).
        return Future.failedFuture(err);
      }
      if (strict && live().contains(origin)) {
        return Future.succeededFuture(SILENT);
      }
      return Future.succeededFuture(null); // it stopped running tasks, or just died
    });
  }

  /** A failure that the recipient's handler answered, rather than the bus (no handler, no answer in time). */
  private static boolean answered(Throwable err) {
    return err instanceof ReplyException re && re.failureType() == ReplyFailure.RECIPIENT_FAILURE;
  }

  /** A request to a node's per-node address; null when it answers 404. */
  private Future<JsonObject> ask(String node, String verb, JsonObject body, long timeoutMs) {
    return vertx.eventBus().request(Addresses.node(node, verb), body, new DeliveryOptions().setSendTimeout(timeoutMs))
      .map(m -> (JsonObject) m.body())
      .recover(err -> Failure.of(err) == Failure.NOT_FOUND ? Future.succeededFuture(null) : Future.failedFuture(err));
  }

  private static boolean isFinal(JsonObject rec) {
    return TaskState.of(rec.getString("state")).isFinal();
  }

  private static StewardException unknown(String id) {
    return StewardException.notFound("id: no task '" + id + "' in the cluster (unknown, or finished longer ago than "
      + "tasks.finishedTtlMs, or its node left)");
  }

  private static StewardException takingOver(String id, String owner) {
    return StewardException.unavailable("task " + id + " belonged to node " + owner + ", which left; a survivor takes "
      + "it over within tasks.orphanSweepMs; retry");
  }
}
