package io.steward.schedule;

import com.hazelcast.map.IMap;
import io.steward.bus.Addresses;
import io.steward.bus.Door;
import io.steward.bus.Endpoint;
import io.steward.bus.Fields;
import io.steward.bus.StewardException;
import io.steward.spi.HazelcastInternals;
import io.vertx.core.Future;
import io.vertx.core.Vertx;
import io.vertx.core.eventbus.DeliveryOptions;
import io.vertx.core.eventbus.Message;
import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;

import java.util.ArrayList;
import java.util.List;
import java.util.Map;

/**
 * The module's addresses: {@code steward.schedule.put|get|list|delete|pause|resume|trigger|history}. Writes go to
 * the cluster map through entry processors; reads of one job go to the map (fresh on any node), lists to this
 * node's replica. Job changes are published on {@code steward.schedule.events}.
 */
final class ScheduleEndpoints {

  static final int DEFAULT_PAGE = 100;
  static final int MAX_PAGE = 1_000;
  private static final org.slf4j.Logger LOG = org.slf4j.LoggerFactory.getLogger(ScheduleEndpoints.class);

  private final ScheduleNode node;
  private final Scheduler triggers;
  private final IMap<String, String> jobs;

  ScheduleEndpoints(ScheduleNode node, Scheduler triggers) {
    this.node = node;
    this.triggers = triggers;
    this.jobs = node.store.map();
  }

  List<Future<?>> register(Vertx vertx) {
    return List.of(
      Endpoint.consumer(vertx, Addresses.Schedule.PUT, this::put).completion(),
      Endpoint.consumer(vertx, Addresses.Schedule.GET, this::get).completion(),
      Endpoint.consumer(vertx, Addresses.Schedule.LIST, this::list).completion(),
      Endpoint.consumer(vertx, Addresses.Schedule.DELETE, this::delete).completion(),
      Endpoint.consumer(vertx, Addresses.Schedule.PAUSE, msg -> pause(msg, true)).completion(),
      Endpoint.consumer(vertx, Addresses.Schedule.RESUME, msg -> pause(msg, false)).completion(),
      Endpoint.consumer(vertx, Addresses.Schedule.TRIGGER, this::trigger).completion(),
      Endpoint.consumer(vertx, Addresses.Schedule.HISTORY, this::history).completion(),
      Endpoint.consumer(vertx, Addresses.node(node.nodeId, Addresses.Schedule.NODE_FORGET), this::forget).completion(),
      Endpoint.localConsumer(vertx, Addresses.moduleHealth(node.nodeId, "schedule"), msg -> health()).completion());
  }

  private Future<JsonObject> put(Message<Object> msg) {
    JobSpec spec = JobSpec.parse(Fields.of(msg.body()));
    Door door = Door.from(msg.headers());
    if (door != null) {
      spec = spec.throughDoor(door);
    }
    return put(spec);
  }

  /** Creates or replaces a job (also used for the jobs declared in configuration). */
  Future<JsonObject> put(JobSpec spec) {
    if (!node.store.replica().containsKey(spec.name()) && node.store.replica().size() >= node.config.maxJobs()) {
      throw StewardException.overCapacity("the cluster holds " + node.store.replica().size() + " jobs, the limit "
        + "(schedule.maxJobs); delete jobs or raise the limit");
    }
    long now = node.clock.millis();
    return Future.fromCompletionStage(confirmed(jobs, spec.name(), JobUpdate.put(spec, now)), node.vertx.getOrCreateContext())
      .compose(result -> {
        String kind = result.substring(0, result.indexOf('|'));
        JobRecord rec = node.store.apply(spec.name(), result.substring(kind.length() + 1));
        if (!kind.equals("unchanged")) {
          event(kind.equals("created") ? "created" : "updated", spec.name());
        }
        return view(rec, now).map(v -> v.put("created", kind.equals("created")).put("changed", !kind.equals("unchanged")));
      });
  }

  private Future<JsonObject> get(Message<Object> msg) {
    String name = name(msg);
    long now = node.clock.millis();
    return stored(name).compose(rec -> view(rec, now));
  }

  private Future<JsonObject> list(Message<Object> msg) {
    Fields f = Fields.of(msg.body());
    int limit = f.integer("limit", DEFAULT_PAGE, 1, MAX_PAGE);
    String after = f.string("after", null, JobSpec.MAX_NAME);
    f.done();
    Map<String, JobRecord> page = after == null ? node.store.replica() : node.store.replica().tailMap(after, false);
    List<Future<JsonObject>> views = new ArrayList<>();
    long now = node.clock.millis();
    String last = null;
    for (JobRecord rec : page.values()) {
      if (views.size() == limit) {
        break;
      }
      views.add(view(rec, now));
      last = rec.name();
    }
    String lastName = last;
    int total = node.store.replica().size();
    return Future.all(views).map(all -> {
      JsonArray out = new JsonArray();
      views.forEach(v -> out.add(v.result()));
      JsonObject reply = new JsonObject().put("count", total).put("jobs", out);
      if (lastName != null && node.store.replica().higherKey(lastName) != null) {
        reply.put("next", lastName);
      }
      return reply;
    });
  }

  /**
   * Deletes a job: writes its tombstone, then buries its state ({@link BuryState}: from then on no claim of any node
   * for the deleted version wins, so no cluster-once tick of it starts anywhere), then tells every live schedule node
   * to drop the job ({@link #forget}) and waits for their answers, at most {@link #FORGET_MS}: a node that answered
   * fires nothing of the job any more, every-node ticks and ticks it had already won included. The answer lists the
   * nodes that did not answer in time ({@code unconfirmed}); such a node (paused, cut off or overloaded) may still fire
   * the job's every-node ticks, and a cluster-once tick it won before the delete, until it hears of the delete.
   */
  private Future<JsonObject> delete(Message<Object> msg) {
    String name = name(msg);
    long now = node.clock.millis();
    JobRecord known = node.store.replica().get(name);
    JobUpdate update = JobUpdate.delete(now, known == null ? Long.MIN_VALUE : known.version());
    return Future.fromCompletionStage(confirmed(jobs, name, update), node.vertx.getOrCreateContext()).compose(result -> {
      if (result == null) {
        return Future.failedFuture(notFound(name));
      }
      String tombstone = result.substring(result.indexOf('|') + 1);
      node.store.apply(name, tombstone);
      event("deleted", name);
      long version = JobRecord.storedVersion(tombstone);
      return Future.fromCompletionStage(confirmed(node.state, name, BuryState.bury(version, now)), node.vertx.getOrCreateContext())
        .compose(v -> forgetEverywhere(name))
        .map(unconfirmed -> {
          JsonObject reply = new JsonObject().put("name", name).put("deleted", true);
          if (!unconfirmed.isEmpty()) {
            reply.put("unconfirmed", new JsonArray(unconfirmed));
          }
          return reply;
        });
    });
  }

  /**
   * A job write that fails (504, outcome unknown) rather than succeed when its synchronous backup does not acknowledge
   * it: Hazelcast answers such a write as done once its backup timeout passes, although only the owner of the key
   * applied it, and the owner's death before the backup is repaired takes it away (campaign seed 33535: a delete
   * made through a node cut off by an undetected partition was answered, the others promoted their copy of the live
   * job and fired it, the node was killed before any merge). A backup missed only because partitions were migrating
   * is confirmed after all ({@code spi.MissedBackups}).
   */
  private static <V, R> java.util.concurrent.CompletionStage<R> confirmed(IMap<String, V> map, String name,
                                                                        com.hazelcast.map.EntryProcessor<String, V, R> update) {
    return HazelcastInternals.submitToKeyConfirmed(map, name, update);
  }

  /** How long a delete waits for the schedule nodes to confirm that they dropped the job. */
  static final long FORGET_MS = 2_000;

  /** Asks every live schedule node (this one too) to drop the job; completes with those that did not confirm. */
  private Future<List<String>> forgetEverywhere(String name) {
    JsonObject body = new JsonObject().put("name", name);
    DeliveryOptions options = new DeliveryOptions().setSendTimeout(FORGET_MS);
    List<String> ids = new ArrayList<>(node.nodes.view().ids());
    if (!ids.contains(node.nodeId)) {
      ids.add(node.nodeId);
    }
    List<Future<Boolean>> answers = new ArrayList<>(ids.size());
    for (String id : ids) {
      answers.add(node.vertx.eventBus().request(Addresses.node(id, Addresses.Schedule.NODE_FORGET), body, options)
        .map(reply -> ((JsonObject) reply.body()).getBoolean("dropped", false)).otherwise(err -> {
          LOG.debug("Schedule node {} did not confirm the delete of job '{}': {}", id, name, err.toString());
          return false;
        }));
    }
    return Future.join(answers).transform(ar -> {
      List<String> unconfirmed = new ArrayList<>();
      for (int i = 0; i < ids.size(); i++) {
        if (!Boolean.TRUE.equals(answers.get(i).result())) {
          unconfirmed.add(ids.get(i));
        }
      }
      if (!unconfirmed.isEmpty()) {
        LOG.warn("Job '{}' is deleted, but schedule node(s) {} did not confirm within {} ms that they dropped it (paused, "
          + "cut off or overloaded): such a node may still fire the job's every-node ticks until it hears of the delete; "
          + "it hears of it when it is reachable again. Nothing to do unless the node stays unreachable.",
          name, unconfirmed, FORGET_MS);
      }
      return Future.succeededFuture(unconfirmed);
    });
  }

  /**
   * From a deleting node: read the job's entry now (the tombstone is there before this is asked) and apply it to this
   * node's replica, whatever the jobs map's events say yet; answer once the scheduler holding the job has let it go
   * (its shard's loop has run the removal). The body names the job only: what is applied is what the map holds, so
   * a stray message cannot stop a live job.
   */
  private Future<JsonObject> forget(Message<Object> msg) {
    String name = name(msg);
    return Future.fromCompletionStage(jobs.getAsync(name), node.vertx.getOrCreateContext()).compose(stored -> {
      boolean deleted = stored == null || isTombstone(stored);
      if (stored != null) {
        node.store.apply(name, stored);
      } else {
        node.store.removed(name); // purged already
      }
      return node.settled(name).map(v -> new JsonObject().put("name", name).put("dropped", deleted));
    });
  }

  private Future<JsonObject> pause(Message<Object> msg, boolean pause) {
    String name = name(msg);
    long now = node.clock.millis();
    return Future.fromCompletionStage(confirmed(jobs, name, pause ? JobUpdate.pause(now) : JobUpdate.resume(now)),
        node.vertx.getOrCreateContext())
      .compose(result -> {
        if (result == null) {
          return Future.failedFuture(notFound(name));
        }
        String kind = result.substring(0, result.indexOf('|'));
        JobRecord rec = node.store.apply(name, result.substring(kind.length() + 1));
        if (kind.equals("updated")) {
          event(pause ? "paused" : "resumed", name);
        }
        return view(rec, now);
      });
  }

  private Future<JsonObject> trigger(Message<Object> msg) {
    String name = name(msg);
    return stored(name).compose(rec -> Future.fromCompletionStage(triggers.trigger(rec), node.vertx.getOrCreateContext()))
      .map(run -> run.toJson().put("name", name));
  }

  private Future<JsonObject> history(Message<Object> msg) {
    Fields f = Fields.of(msg.body());
    String name = f.string("name", null, JobSpec.MAX_NAME);
    if (name == null) {
      throw f.bad("name", "is required");
    }
    int limit = f.integer("limit", node.config.historySize(), 1, node.config.historySize());
    f.done();
    return stored(name).compose(rec -> node.log.read(name))
      .map(h -> new JsonObject().put("name", name).put("runs", h.toJson(limit)).put("counts", h.counts()));
  }

  private JsonObject health() {
    int jobsHere = 0;
    int active = 0;
    for (ShardVerticle s : node.shards()) {
      jobsHere += s.jobs();
      active += s.active();
    }
    JsonObject h = new JsonObject().put("status", "UP").put("jobs", node.store.replica().size()).put("active", active)
      .put("shards", node.shards().size()).put("fenced", node.fence.isUp())
      .put("registered", node.nodes.view().nodes().containsKey(node.nodeId));
    if (node.fence.isUp()) {
      h.put("fenceReason", node.fence.reason());
    }
    h.put("clockFenced", node.fence.clockFenced());
    if (node.fence.claimLease() != null) {
      h.put("claimLease", node.fence.leaseHeld());
    }
    return h.put("jobsInShards", jobsHere);
  }

  private Future<JobRecord> stored(String name) {
    return Future.fromCompletionStage(jobs.getAsync(name), node.vertx.getOrCreateContext()).compose(stored -> {
      if (stored == null || isTombstone(stored)) {
        return Future.failedFuture(notFound(name));
      }
      JobRecord rec = node.store.apply(name, stored);
      return rec == null ? Future.failedFuture(JobSpec.unreadable(name))
        : Future.succeededFuture(rec);
    });
  }

  /** The API view of a job: definition, state, next fire time, last run and counts. */
  private Future<JsonObject> view(JobRecord rec, long now) {
    JsonObject v = rec.toApi();
    if (rec.live()) {
      long next = rec.schedule().next(Math.max(now, rec.since()));
      v.put("nextFireAt", next == Schedule.NONE ? null
        : JobRecord.iso(next + Ticks.jitter(rec.name(), next, rec.spec().jitterMs())));
    } else {
      v.putNull("nextFireAt");
    }
    return node.log.read(rec.name()).map(h -> {
      RunRecord last = h.last();
      return v.put("lastRun", last == null ? null : last.toJson()).put("runs", h.counts());
    });
  }

  private void event(String event, String name) {
    node.vertx.eventBus().publish(Addresses.Schedule.EVENTS, new JsonObject().put("event", event).put("name", name)
      .put("node", node.nodeId));
  }

  private static String name(Message<Object> msg) {
    Fields f = Fields.of(msg.body());
    String name = f.string("name", null, JobSpec.MAX_NAME);
    if (name == null) {
      throw f.bad("name", "is required");
    }
    f.done();
    return name;
  }

  private static boolean isTombstone(String stored) {
    try {
      return JobRecord.isTombstone(stored);
    } catch (RuntimeException e) {
      return false; // unreadable: store.apply says so
    }
  }

  private static StewardException notFound(String name) {
    return StewardException.notFound("no job named '" + name + "'");
  }
}
