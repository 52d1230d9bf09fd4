package io.steward.workflows;

import io.micrometer.core.instrument.Counter;
import io.micrometer.core.instrument.MeterRegistry;
import io.steward.bus.Addresses;
import io.steward.spi.Cluster;
import io.steward.bus.Door;
import io.steward.bus.Endpoint;
import io.steward.bus.Failure;
import io.steward.bus.StewardException;
import io.steward.observe.LogText;
import io.steward.observe.RateLimitedLog;
import io.vertx.core.Future;
import io.vertx.core.Vertx;
import io.vertx.core.eventbus.DeliveryOptions;
import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.util.ArrayList;
import java.util.HashMap;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.UUID;
import java.util.concurrent.ConcurrentHashMap;
import java.util.function.LongSupplier;

/**
 * Moves workflows forward. Any node may advance any workflow (the one that took the submit, the one whose partition
 * holds the record, one that saw a step task end): it reads the record, asks the tasks module how the step tasks it
 * does not know the end of are doing ({@code steward.tasks.get}), computes the next record ({@link Progress}), writes
 * it with a compare-and-set ({@link Runs#replace}) and only then acts: submits the ready steps' tasks, each with its
 * deterministic key (a second submit of a key answers the task already bound to it, for {@link #UNIQUE_FOR_MS} after
 * it ended), cancels what the change cancelled, publishes the events. A node that loses the compare-and-set reads
 * again. Runs on the verticle's event loop.
 */
final class Engine {

  private static final Logger LOG = LoggerFactory.getLogger(Engine.class);
  private static final RateLimitedLog WARNINGS = new RateLimitedLog(LOG, 10_000);
  /** How long a step task's key stays bound after it ended: a re-submit in that time answers the same task. */
  static final long UNIQUE_FOR_MS = 86_400_000L;
  private static final long CALL_TIMEOUT_MS = 10_000;
  private static final int MAX_WATCHED = 200_000;
  /**
   * How long a key binding whose workflow record is not found is taken to be one whose submit is still writing the
   * record (a 503 meanwhile); after that, the binding is taken as left by a submit that wrote nothing.
   */
  static final long ACCEPTING_MS = 30_000;
  private static final int KEY_TRIES = 3;
  /** How long a submit whose key is bound to a workflow still being accepted waits for its record (then 503). */
  static final long WAIT_ACCEPTING_MS = 3_000;

  private final Vertx vertx;
  private final String nodeId;
  private final Runs runs;
  private final Keys keys;
  private final LongSupplier clock;
  /** The cluster's clock (Hazelcast's cluster time), which every node agrees on: for the age of key bindings. */
  private final LongSupplier clusterClock;
  private final long finishedTtlMs;
  /** Workflows being advanced here, and those to advance again once that ends. */
  private final Set<String> busy = new HashSet<>();
  private final Set<String> again = new HashSet<>();
  /** Step task id to workflow id, for the tasks this node knows are live: their end advances the workflow. */
  private final Map<String, String> watching = new ConcurrentHashMap<>();
  private final Counter submitted;
  private final Counter stepsStarted;
  private final MeterRegistry registry;
  private volatile int owned;

  Engine(Vertx vertx, String nodeId, Runs runs, Keys keys, LongSupplier clock, LongSupplier clusterClock,
         long finishedTtlMs, MeterRegistry registry) {
    this.vertx = vertx;
    this.nodeId = nodeId;
    this.runs = runs;
    this.keys = keys;
    this.clock = clock;
    this.clusterClock = clusterClock;
    this.finishedTtlMs = finishedTtlMs;
    this.registry = registry;
    this.submitted = Counter.builder("steward_workflows_submitted").description("Workflows accepted by this node")
      .register(registry);
    this.stepsStarted = Counter.builder("steward_workflows_steps_started")
      .description("Workflow steps started (recorded as running) by this node").register(registry);
  }

  int owned() {
    return owned;
  }

  // ---------------------------------------------------------------- requests

  Future<JsonObject> submit(Object body, Door door) {
    WorkflowSpec spec = WorkflowSpec.parse(body, door);
    if (spec.key() != null) {
      return keyed(spec, door, null, 1);
    }
    return start(spec, door, UUID.randomUUID().toString());
  }

  /** Writes a new workflow's record (confirmed by its backup), then starts advancing it. */
  private Future<JsonObject> start(WorkflowSpec spec, Door door, String id) {
    JsonObject rec = Progress.start(id, spec, door == null ? null : door.toJson(), nodeId, clock.getAsLong());
    return runs.replace(null, rec).map(ok -> {
      if (!ok) {
        throw new IllegalStateException("workflow id " + id + " taken");
      }
      submitted.increment();
      publish(rec, List.of(Progress.event("submitted", null)));
      advance(id);
      return new JsonObject().put("id", id).put("name", spec.name());
    });
  }

  /**
   * A submit with an idempotency key: binds the key to a new workflow id (confirmed by the backup), then writes the
   * record. A key bound already answers the workflow bound to it ({@code existing: true}) once its record is confirmed
   * on the backup too; a binding whose record is not there is either still being written by its submit (younger than
   * {@link #ACCEPTING_MS}: 503, retry) or left by a submit that wrote nothing, or by a workflow whose record expired
   * ({@code workflows.finishedTtlMs}): then the key moves to the new workflow.
   */
  private Future<JsonObject> keyed(WorkflowSpec spec, Door door, String replacing, int tries) {
    String key = spec.key();
    String id = UUID.randomUUID().toString();
    return keys.bind(key, id, clusterClock.getAsLong(), replacing).recover(err -> unconfirmed(key, err))
      .compose(binding -> {
        if (binding.id().equals(id)) {
          return start(spec, door, id).onFailure(err -> {
            if (!Endpoint.indeterminate(err)) {
              keys.unbind(key, id); // nothing was written: the key is free again
            }
          });
        }
        return existing(key, binding, clock.getAsLong() + WAIT_ACCEPTING_MS, 20).compose(r -> {
          if (r != null) {
            return Future.succeededFuture(new JsonObject().put("id", r.getString("id")).put("name", r.getString("name"))
              .put("existing", true));
          }
          if (tries >= KEY_TRIES) {
            throw StewardException.conflict("key: '" + key + "' is being bound by other submits at the same time; retry");
          }
          return keyed(spec, door, binding.id(), tries + 1);
        });
      });
  }

  /**
   * The confirmed record of the workflow a key is bound to; null when there is none and the binding is older than
   * {@link #ACCEPTING_MS} (the key may move). A younger binding without a record is a submit still writing it: looked
   * at again until {@code deadline} (clock), then a 503.
   */
  private Future<JsonObject> existing(String key, Keys.Binding binding, long deadline, long pauseMs) {
    return runs.confirmed(binding.id()).recover(err -> unconfirmed(key, err)).compose(r -> {
      if (r != null || clusterClock.getAsLong() - binding.at() >= ACCEPTING_MS) {
        return Future.succeededFuture(r);
      }
      if (clock.getAsLong() >= deadline) {
        return Future.failedFuture(StewardException.unavailable("key: '" + key + "' is bound to workflow "
          + binding.id() + ", whose submit is still being accepted; retry"));
      }
      return vertx.timer(pauseMs).compose(v -> existing(key, binding, deadline, Math.min(pauseMs * 2, 500)));
    });
  }

  /** A key binding or record read that no backup confirmed: nothing was started; retry. */
  private static <T> Future<T> unconfirmed(String key, Throwable err) {
    if (Endpoint.indeterminate(err)) {
      return Future.failedFuture(StewardException.unavailable("key: '" + key + "': a backup member did not confirm its "
        + "binding or its workflow's record in time (a member is cut off, overloaded or leaving); nothing was started "
        + "by this submit; retry"));
    }
    return Future.failedFuture(err);
  }

  Future<JsonObject> get(String id) {
    return runs.get(id).map(r -> {
      if (r == null) {
        throw StewardException.notFound("no workflow with id '" + id + "' (finished ones are kept "
          + "workflows.finishedTtlMs)");
      }
      r.remove("door");
      return r;
    });
  }

  Future<JsonObject> cancel(String id) {
    return change(id, r -> Progress.cancel(r, clock.getAsLong()), 0);
  }

  Future<JsonObject> retry(String id) {
    return change(id, r -> Progress.retry(r, clock.getAsLong()), 0).onSuccess(r -> advance(id));
  }

  /** A keyed workflow's key is kept while it runs, and as long as its record after it ended. */
  private void holdKey(JsonObject record) {
    String key = record.getString("key");
    if (key == null) {
      return;
    }
    String id = record.getString("id");
    keys.hold(key, id, Progress.isFinal(record) ? finishedTtlMs : 0).onFailure(err -> WARNINGS.warn("hold",
      "Workflow " + id + ": the expiry of its key '" + LogText.escape(key) + "' could not be set (" + LogText.escape(
      err.getMessage()) + "); the key stays bound to it until its record is gone, and a later submit with the key then "
      + "takes it"));
  }

  /** A change asked for by a client: read, change, compare-and-set (again when another node wrote first), act. */
  private Future<JsonObject> change(String id, java.util.function.Function<JsonObject, Progress.Result> how, int tries) {
    return runs.get(id).compose(r -> {
      if (r == null) {
        throw StewardException.notFound("no workflow with id '" + id + "'");
      }
      Progress.Result res = how.apply(r);
      return runs.replace(r, res.record()).compose(ok -> {
        if (!ok) {
          if (tries >= 20) {
            throw StewardException.unavailable("workflow " + id + " is changing too fast to update; retry");
          }
          return change(id, how, tries + 1);
        }
        act(res);
        JsonObject out = res.record().copy();
        out.remove("door");
        return Future.succeededFuture(out);
      });
    });
  }

  Future<JsonObject> list(String state, String name, int limit) {
    return runs.list(state, name).map(all -> {
      all.sort((x, y) -> Long.compare(y.getLong("submittedAt", 0L), x.getLong("submittedAt", 0L)));
      JsonArray out = new JsonArray();
      for (JsonObject r : all.subList(0, Math.min(limit, all.size()))) {
        JsonObject steps = new JsonObject();
        r.getJsonObject("steps").forEach(e -> steps.put(e.getKey(), ((JsonObject) e.getValue()).getString("state")));
        JsonObject s = new JsonObject().put("id", r.getString("id")).put("name", r.getString("name"))
          .put("state", r.getString("state")).put("submittedAt", r.getLong("submittedAt")).put("steps", steps);
        if (r.getLong("endedAt") != null) {
          s.put("endedAt", r.getLong("endedAt"));
        }
        if (r.getString("error") != null) {
          s.put("error", r.getString("error"));
        }
        out.add(s);
      }
      return new JsonObject().put("workflows", out).put("total", all.size());
    });
  }

  // ---------------------------------------------------------------- advancing

  /** Advances a workflow here, once at a time per workflow (a request meanwhile makes one more pass after). */
  void advance(String id) {
    if (!busy.add(id)) {
      again.add(id);
      return;
    }
    Future<Boolean> pass;
    try {
      pass = pass(id);
    } catch (RuntimeException e) {
      pass = Future.failedFuture(e);
    }
    pass.onComplete(ar -> {
      busy.remove(id);
      if (ar.failed()) {
        WARNINGS.warn("advance", "Workflow " + id + " could not be advanced on this node ("
          + LogText.escape(ar.cause().getMessage()) + "); the next sweep (workflows.sweepMs) tries again. Check that "
          + "the tasks module runs and that the cluster is safe (GET /health)");
      }
      if (again.remove(id) || (ar.succeeded() && ar.result())) {
        advance(id);
      }
    });
  }

  /** One pass; true when it submitted tasks (so the next pass reads their records). */
  private Future<Boolean> pass(String id) {
    return runs.get(id).compose(r -> {
      if (r == null || Progress.isFinal(r)) {
        return Future.succeededFuture(false);
      }
      List<String> live = Progress.liveTaskIds(r);
      if (watching.size() < MAX_WATCHED) {
        live.forEach(t -> watching.put(t, id));
      }
      return lookup(live).compose(tasks -> {
        Progress.Result res = Progress.advance(r, tasks, clock.getAsLong());
        // Tasks whose end is now known need no watching (their final event may have been dropped, or not come yet).
        tasks.forEach((t, rec) -> {
          if (Progress.FINAL_TASK.contains(rec.getString("state", ""))) {
            watching.remove(t);
          }
        });
        if (!res.changed(r)) {
          return submit(id, r, res.submits());
        }
        return runs.replace(r, res.record()).compose(ok -> {
          if (!ok) {
            again.add(id); // another node wrote first: read it again
            return Future.succeededFuture(false);
          }
          act(res);
          return submit(id, res.record(), res.submits());
        });
      });
    });
  }

  /** The tasks' records by id; a task the tasks module no longer knows is reported lost, one it cannot tell is left out. */
  private Future<Map<String, JsonObject>> lookup(List<String> ids) {
    Map<String, JsonObject> out = new HashMap<>();
    List<Future<?>> calls = new ArrayList<>(ids.size());
    for (String t : ids) {
      // This node's tasks module first: a node that just died may still be among the bus's answerers (StepLookupTest).
      calls.add(Cluster.requestHereFirst(vertx, Addresses.Tasks.GET, new JsonObject().put("id", t),
          new DeliveryOptions().setSendTimeout(CALL_TIMEOUT_MS))
        .onSuccess(m -> out.put(t, (JsonObject) m.body()))
        .onFailure(err -> {
          if (Failure.of(err) == Failure.NOT_FOUND) {
            out.put(t, new JsonObject().put("id", t).put("state", "lost").put("error", "the task's record is gone "
              + "(final records are kept tasks.finishedTtlMs): its outcome is unknown"));
          }
        }));
    }
    return Future.join(calls).transform(v -> Future.succeededFuture(out));
  }

  /** Submits a step's tasks (idempotent by key) and records their ids; true when anything was submitted. */
  private Future<Boolean> submit(String id, JsonObject r, List<Progress.Submit> submits) {
    if (submits.isEmpty()) {
      return Future.succeededFuture(false);
    }
    Door door = r.getJsonObject("door") == null ? null : Door.fromJson(r.getJsonObject("door"), "door");
    Map<String, WorkflowSpec.Step> specs = new HashMap<>();
    Progress.steps(r).forEach(s -> specs.put(s.id(), s));
    Map<String, String> ids = new ConcurrentHashMap<>();
    Map<String, String> refused = new ConcurrentHashMap<>();
    List<Future<?>> calls = new ArrayList<>();
    for (Progress.Submit s : submits) {
      WorkflowSpec.Step spec = specs.get(s.step());
      JsonObject task = new JsonObject().put("type", "bus")
        .put("payload", new JsonObject().put("address", spec.address()).put("body", s.body())
          .put("timeoutMs", spec.timeoutMs()))
        .put("restart", "transient").put("maxRestarts", spec.maxRestarts()).put("withinMs", spec.withinMs())
        .put("supervisor", spec.supervisor()).put("key", s.key()).put("uniqueForMs", UNIQUE_FOR_MS);
      if (spec.priority() != 0) {
        task.put("priority", spec.priority());
      }
      calls.add(vertx.eventBus().request(Addresses.Tasks.SUBMIT, task,
          Door.stamp(door, new DeliveryOptions().setSendTimeout(CALL_TIMEOUT_MS)))
        .onSuccess(m -> {
          String taskId = ((JsonObject) m.body()).getString("id");
          ids.put(s.key(), taskId);
          watching.put(taskId, id);
        })
        .onFailure(err -> {
          Failure f = Failure.of(err);
          if (f == Failure.BAD_REQUEST || f == Failure.FORBIDDEN || f == Failure.NOT_FOUND) {
            refused.put(s.key(), "the tasks module refused the step's task (" + f.code() + "): " + err.getMessage());
          } else {
            WARNINGS.warn("submit", "Workflow " + id + ": a task of step " + s.step() + " was not accepted yet ("
              + f.code() + ": " + LogText.escape(err.getMessage()) + "); it is submitted again with the same key on the "
              + "next pass or sweep (workflows.sweepMs)");
          }
        }));
    }
    return Future.join(calls).transform(v -> {
      if (ids.isEmpty() && refused.isEmpty()) {
        return Future.succeededFuture(false);
      }
      return recordSubmitted(id, ids, refused, 0).map(true);
    });
  }

  private Future<Void> recordSubmitted(String id, Map<String, String> ids, Map<String, String> refused, int tries) {
    return runs.get(id).compose(r -> {
      if (r == null) {
        return Future.succeededFuture();
      }
      List<String> cancels = new ArrayList<>();
      JsonObject next = Progress.submitted(r, ids, refused, cancels);
      if (next.equals(r)) {
        return Future.succeededFuture();
      }
      return runs.replace(r, next).compose(ok -> {
        if (!ok) {
          return tries >= 20 ? Future.failedFuture("workflow " + id + " changed 20 times while its task ids were "
            + "recorded") : recordSubmitted(id, ids, refused, tries + 1);
        }
        cancels.forEach(this::cancelTask);
        return Future.succeededFuture();
      });
    });
  }

  /** After a write: cancels, events, meters. */
  private void act(Progress.Result res) {
    res.cancels().forEach(this::cancelTask);
    publish(res.record(), res.events());
    if (res.events().stream().anyMatch(e -> Progress.FINAL.contains(e.getString("event"))
      || "retried".equals(e.getString("event")))) {
      holdKey(res.record());
    }
    for (JsonObject e : res.events()) {
      String ev = e.getString("event");
      if (Progress.FINAL.contains(ev)) {
        Counter.builder("steward_workflows_finished").description("Workflows that ended, by how (as written by this node)")
          .tag("state", ev).register(registry).increment();
      } else if (ev.equals("step-started")) {
        stepsStarted.increment();
      } else if (ev.equals("step-succeeded") || ev.equals("step-failed")) {
        Counter.builder("steward_workflows_steps_finished").description("Workflow steps that ended, by how")
          .tag("state", ev.substring("step-".length())).register(registry).increment();
      }
    }
  }

  private void cancelTask(String taskId) {
    watching.remove(taskId);
    Cluster.requestHereFirst(vertx, Addresses.Tasks.CANCEL, new JsonObject().put("id", taskId),
      new DeliveryOptions().setSendTimeout(CALL_TIMEOUT_MS)).onFailure(err -> LOG.debug("cancel of step task {}: {}",
      taskId, err.getMessage()));
  }

  private void publish(JsonObject r, List<JsonObject> events) {
    if (events.isEmpty()) {
      return;
    }
    JsonArray out = new JsonArray();
    long at = clock.getAsLong();
    for (JsonObject e : events) {
      out.add(e.copy().put("id", r.getString("id")).put("name", r.getString("name")).put("at", at));
    }
    vertx.eventBus().publish(Addresses.Workflows.EVENTS, new JsonObject().put("node", nodeId).put("events", out));
  }

  // ---------------------------------------------------------------- triggers

  /**
   * A batch of task events: a watched task that ended (or restarted) advances its workflow. Anyone may publish on the
   * events address: anything that is not a batch of the tasks module is ignored.
   */
  void taskEvents(Object body) {
    if (!(body instanceof JsonObject batch) || !(batch.getValue("events") instanceof JsonArray events)) {
      return;
    }
    for (Object o : events) {
      if (o instanceof JsonObject e && e.getValue("id") instanceof String) {
        String ev = e.getValue("event") instanceof String s ? s : "";
        if (ev.equals("submitted") || ev.equals("started")) {
          continue;
        }
        String wf = watching.remove(e.getString("id"));
        if (wf != null) {
          advance(wf);
        }
      }
    }
  }

  /** Advances every unfinished workflow whose record this member holds (each sweep). */
  Future<Void> sweep() {
    return runs.ownedUnfinished().map(ids -> {
      owned = ids.size();
      ids.forEach(this::advance);
      return null;
    });
  }

  /**
   * Advances every unfinished workflow in the cluster (every {@link WorkflowsVerticle#FULL_SWEEP_EVERY} sweeps, and
   * when a member left): a record held by a member that does not run the workflows module (a tasks-only node) is
   * swept by nobody else, and after a member left its records may have moved to such a member.
   */
  Future<Void> sweepAll() {
    return runs.unfinished().map(ids -> {
      ids.forEach(this::advance);
      return null;
    });
  }
}
