package io.steward.tasks;

import io.vertx.core.Context;
import com.hazelcast.core.HazelcastInstance;
import io.micrometer.core.instrument.Counter;
import io.steward.spi.Cluster;
import io.steward.observe.RateLimitedLog;
import io.vertx.core.Future;
import io.vertx.core.Vertx;
import io.vertx.core.json.JsonObject;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.UUID;

/**
 * What happens to the tasks of a node that dies (or leaves): when Hazelcast reports a member gone, and every
 * {@code orphanSweepMs} in case a report was missed or capacity was short,
 * <ul>
 *   <li>its cluster-wide record of temporary tasks is taken by exactly one survivor (the one whose take
 *       returns it), which reports each of them {@code lost};</li>
 *   <li>its durable tasks are claimed one by one with an entry processor that sets the owner only if it is
 *       still the dead node, so exactly one survivor re-runs each, as far as its supervisor has room. A task
 *       that was running there is restarted as a possible duplicate.</li>
 * </ul>
 * Each take and claim carries a claim id of its own: when Hazelcast runs one again after a member loss, or a
 * failed one is made again, the one that was applied answers as it did the first time, so a task is never left
 * owned by a survivor that does not run it. Each sweep also takes back the records of this node's refused submits
 * ({@link TaskEngine#withdrawRefused}), which no node would run while this one lives.
 */
final class Takeover {

  private static final Logger LOG = LoggerFactory.getLogger(Takeover.class);
  private static final RateLimitedLog WARNINGS = new RateLimitedLog(LOG, 30_000);

  private final Vertx vertx;
  private final Context context;
  private final String nodeId;
  private final TaskEngine engine;
  private final TaskStore store;
  private final Events events;
  private final TaskMeters.Cache meters;
  private final Counter takenOver;
  private final Counter lost;
  private HazelcastInstance hz;
  private Cluster.Listening listener;
  /** Claim ids of takes of departed nodes' temporary records whose outcome is unknown (retried as they are). */
  private final Map<String, String> takes = new HashMap<>();
  private boolean sweeping;
  private boolean again;

  Takeover(Vertx vertx, Context context, String nodeId, TaskEngine engine, TaskStore store, Events events,
           TaskMeters.Cache meters, Counter takenOver, Counter lost) {
    this.vertx = vertx;
    this.context = context;
    this.nodeId = nodeId;
    this.engine = engine;
    this.store = store;
    this.events = events;
    this.meters = meters;
    this.takenOver = takenOver;
    this.lost = lost;
  }

  void start(HazelcastInstance hz) {
    this.hz = hz;
    listener = Cluster.onNodeLeft(hz, context, id -> sweep());
  }

  void stop() {
    if (listener != null) {
      listener.close();
    }
  }

  /** Looks for tasks of departed nodes; one sweep at a time (a request during one runs another after it). */
  void sweep() {
    if (sweeping) {
      again = true;
      return;
    }
    sweeping = true;
    engine.withdrawRefused();
    Set<String> live = Cluster.liveNodeIds(vertx);
    Future.join(temporary(live), durable(live)).onComplete(ar -> {
      sweeping = false;
      if (again) {
        again = false;
        sweep();
      }
    });
  }

  // ---- temporary tasks: reported lost

  private Future<?> temporary(Set<String> live) {
    return store.liveRecordOwners().compose(owners -> {
      List<Future<?>> taken = new ArrayList<>();
      for (String owner : owners) {
        if (!live.contains(owner)) {
          // A take that failed may have been applied: the next sweep takes again with the same claim id.
          String claimId = takes.computeIfAbsent(owner, o -> UUID.randomUUID().toString());
          taken.add(store.takeLiveRecord(owner, claimId).onSuccess(record -> {
            takes.remove(owner);
            if (record != null) {
              reportLost(owner, record);
              store.forgetTaken(owner, claimId);
            }
          }));
        }
      }
      return Future.join(taken);
    }).onFailure(err -> WARNINGS.warn("temporary", "Could not look for temporary tasks of departed nodes: "
      + err.getMessage() + "; retrying every tasks.orphanSweepMs"));
  }

  private void reportLost(String deadNode, String record) {
    List<LiveRecord.Entry> entries = LiveRecord.decode(record);
    long now = engine.clock().millis();
    for (LiveRecord.Entry e : entries) {
      String error = "node " + deadNode + " died while the task was " + e.state() + " (attempt " + e.attempts()
        + "); its outcome is unknown";
      TaskSpec spec = new TaskSpec(e.type(), null, e.supervisor(), Restart.TEMPORARY, 0, 1, null, null);
      TaskRecord r = new TaskRecord(e.id(), spec, 0, e.submittedAt(), null, null, null, deadNode);
      r.lost(e.attempts(), error, now);
      r.markRecorded();
      engine.registry().keepFinished(r);
      store.putLost(e.id(), r.toJson());
      meters.of(e.supervisor(), e.type()).finished(TaskState.LOST);
      events.lost(e.id(), e.type(), e.supervisor(), deadNode);
      lost.increment();
    }
    if (!entries.isEmpty()) {
      LOG.warn("Node {} left with {} temporary task(s) pending or running; reported them lost (event 'lost', state "
        + "lost). Use restart transient or permanent for tasks that must survive a node.", deadNode, entries.size());
    }
  }

  // ---- durable tasks: claimed and run again

  private Future<?> durable(Set<String> live) {
    return store.orphans(live, nodeId).compose(orphans -> {
      List<Future<Boolean>> claims = new ArrayList<>();
      for (JsonObject rec : orphans) {
        if (!nodeId.equals(rec.getString("node"))) {
          claims.add(claim(rec, rec.getString("node"), UUID.randomUUID().toString()));
        } else if (engine.registry().get(rec.getString("id")) == null) {
          // Claimed by this node, which never got the answer (the claim failed after it was applied): run it.
          claims.add(claim(rec, rec.getString("lostNode"), rec.getString("claimId")));
        }
      }
      return Future.join(claims).onComplete(ar -> {
        long won = claims.stream().filter(c -> c.succeeded() && c.result()).count();
        if (won > 0) {
          LOG.warn("Took over {} durable task(s) of departed node(s) {}; those that were running there run again here "
            + "(event 'restarted', reason node-lost; possibleDuplicate marks the ones that may have had effects)", won,
            orphans.stream().map(o -> nodeId.equals(o.getString("node")) ? o.getString("lostNode") : o.getString("node"))
              .distinct().toList());
        }
      });
    }).onFailure(err -> WARNINGS.warn("durable", "Could not look for durable tasks of departed nodes: "
      + err.getMessage() + "; retrying every tasks.orphanSweepMs"));
  }

  /** True when this node won the task (or had won it with {@code claimId} without hearing the answer). */
  private Future<Boolean> claim(JsonObject rec, String deadOwner, String claimId) {
    String id = rec.getString("id");
    TaskEngine.Resolved resolved;
    try {
      resolved = engine.resolve(new TaskSpec(rec.getString("type"), rec.getValue("payload"), rec.getString("supervisor"),
        Restart.of(rec.getString("restart")), 0, 1, null, null));
    } catch (RuntimeException e) {
      WARNINGS.warn("unresolved" + rec.getString("supervisor") + rec.getString("type"), "Durable task " + id + " of "
        + "departed node " + deadOwner + " cannot run here: " + e.getMessage() + ". A node that has its type and "
        + "supervisor will take it over.");
      return Future.succeededFuture(false);
    }
    Supervisor sup = resolved.supervisor();
    Supervisor.Admission admission = sup.tryAdmit();
    if (admission == null) {
      WARNINGS.warn("full" + sup.name(), "Supervisor '" + sup.name() + "' is full; durable tasks of departed nodes wait "
        + "for room (next look in tasks.orphanSweepMs)");
      return Future.succeededFuture(false);
    }
    return store.claim(id, deadOwner, nodeId, claimId).compose(claimed -> {
      if (claimed == null) {
        admission.release(); // another survivor got it
        return Future.succeededFuture(false);
      }
      takenOver.increment();
      engine.adopt(claimed, resolved, admission);
      return Future.succeededFuture(true);
    }).onFailure(err -> {
      admission.release(); // once: if adopt made the task before it failed, the task's end gives nothing back again
      WARNINGS.warn("claim", "Could not take over durable task " + id + " of departed node " + deadOwner + ": "
        + err.getMessage() + "; retrying every tasks.orphanSweepMs (if the claim was applied, this node finds it "
        + "and runs the task)");
    });
  }
}
