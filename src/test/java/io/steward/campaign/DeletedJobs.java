package io.steward.campaign;

import io.vertx.core.json.JsonObject;

import java.util.ArrayList;
import java.util.List;

/**
 * No deleted job firing after its delete was acknowledged (README, Scheduling: "`delete` leaves a tombstone … so
 * that the delete wins over an older copy of the job after a split brain"). Anomaly: a {@code fire} of job J that
 * the observer received after a {@code job.delete.ok} of J and whose {@code tick} is later than that
 * acknowledgement's wall time + {@value #TOLERANCE_MS} ms (a tick claimed just before the delete may still be
 * in flight), unless a put of J that may have applied (not refused) was invoked before the fire and not answered
 * before the delete was invoked (it may come after the delete: the job exists again), or unless the README's split
 * brain covers it (Guarantees; docs/campaign.md, "a deleted job fired by the cut-off side until the merge"): no
 * {@code cluster.minimumSize} is set, the delete was answered while a {@code partition} separated the node it was
 * sent to from the firing node (or while a {@code pause} longer than {@code settings.failureDetectionMs}, which
 * removes the paused nodes from the cluster, separated them: one of the two paused, the other not), from the fault's
 * start until its end + {@code settings.mergeWindowMs}, and the fire came within that window too (the other side
 * keeps its copy of the job until the merge). A node that bridges a partition (in two of its sides) may end in either
 * cluster without the minimum, so it counts as separated from any other node of that partition (campaign seed 1041:
 * node2, the bridge, deleted the job in the majority's cluster while node4, on node2's other side, was alone and fired
 * its copy; as {@link NoTickFiredTwice} counts a bridge since seed 1024), and so do two nodes of one side of a
 * partition shorter than failure detection, which splits the cluster after it heals in another shape
 * ({@link Fault#splitsAfterItsEnd}, seed 2071), and so does a node (re)started after the partition began and before
 * its merge, which may join either side ({@link Fault#rejoinedUnmerged}, seed 2130). A shorter pause, a kill or a fire by the
 * deleting node itself or by a node on its side (not through a bridge) is no exception. Nor, without the minimum, is a
 * delete answered during a partition whose side was then lost whole: every node of the deleting node's side killed
 * after the answer and before the merge (the split's end + {@code mergeWindowMs}); the delete is gone with them, and
 * the job, alive on the other side, fires on, on any node (README, Guarantees; campaign seeds 2043 and 2044: two
 * nodes, the one cut off deleted the job and was killed before the partition ended). And a job listed by a node's
 * {@code job.list.final} (after the merge and the quiet phase) although a delete of it was acknowledged, unless a put
 * that may have applied was answered after the delete was invoked, or the delete was lost with its side (as above) or
 * with two members lost at once after it ({@link Fault#doubleLosses}): the tombstone wins every merge. Such a loss
 * between the delete and a fire excuses the fire too: the tombstone went with the partition, and a store that had not
 * written the delete yet (a database outage) loads the job back (seed 2446).
 */
final class DeletedJobs implements Checker {

  static final long TOLERANCE_MS = 1000;

  @Override
  public String name() {
    return "deleted-jobs";
  }

  @Override
  public List<Anomaly> check(History history) {
    Jobs jobs = new Jobs(history);
    Settings settings = Settings.of(history);
    List<long[]> losses = Fault.doubleLosses(history, settings.mergeWindowMs());
    Nodes nodes = new Nodes(history);
    long failureDetectionMs = history.ofType("settings").stream().findFirst().orElse(new JsonObject())
        .getLong("failureDetectionMs", Long.MAX_VALUE);
    List<Fault> splits = Fault.all(history).stream().filter(f -> f.kind().equals("partition")
        || (f.kind().equals("pause") && f.end() != Long.MAX_VALUE && f.end() - f.start() > failureDetectionMs)).toList();
    List<Fault> all = Fault.all(history);
    List<JsonObject> fires = history.ofType("fire");
    List<Anomaly> out = new ArrayList<>();
    for (JsonObject fire : fires) {
      String job = fire.getString("job");
      for (Op delete : jobs.deletes(job)) {
        if (delete.status() != Op.Status.OK) {
          continue;
        }
        long ackWall = delete.completion().getLong("wall");
        if (fire.getLong("t") <= delete.completion().getLong("t") || fire.getLong("tick") <= ackWall + TOLERANCE_MS) {
          continue;
        }
        boolean putAgain = jobs.puts(job).stream().anyMatch(p -> p.mayHaveApplied()
            && p.invokedAt() < fire.getLong("t") && p.settledAt() > delete.invokedAt());
        long fired = fire.getLong("t");
        boolean lostAfter = losses.stream().anyMatch(w -> w[1] >= delete.invokedAt() && w[0] <= fired);
        if (!putAgain && !lostAfter && !cutOff(delete, fire, splits, all, nodes, settings)
            && !Fault.sideLost(history, nodes.name(delete.invoke().getString("node")), delete.settledAt())) {
          out.add(new Anomaly(name(), "job " + job + " fired tick " + fire.getLong("tick") + ", "
              + (fire.getLong("tick") - ackWall) + " ms after its delete was acknowledged",
              new JsonObject().put("delete", delete.evidence()).put("fire", fire)));
          break;
        }
      }
    }
    // After the merge and the quiet phase a deleted job is listed by no node (its tombstone won), unless a put that may
    // have applied came after the delete, or the delete was lost: with its whole side (without the minimum), or with
    // two members lost at once after it (one backup; the tombstone and the job share a partition).
    for (JsonObject listing : history.ofType("job.list.final")) {
      for (Object o : listing.getJsonArray("jobs", new io.vertx.core.json.JsonArray())) {
        String job = String.valueOf(o);
        for (Op delete : jobs.deletes(job)) {
          if (delete.status() != Op.Status.OK) {
            continue;
          }
          boolean putAgain = jobs.puts(job).stream().anyMatch(p -> p.mayHaveApplied() && p.settledAt() > delete.invokedAt());
          boolean lost = Fault.sideLost(history, nodes.name(delete.invoke().getString("node")), delete.settledAt())
              || losses.stream().anyMatch(w -> w[1] >= delete.invokedAt());
          if (!putAgain && !lost) {
            out.add(new Anomaly(name(), "job " + job + " is listed by " + listing.getString("node")
                + " after the quiet phase, although its delete was acknowledged and nothing put it again",
                new JsonObject().put("delete", delete.evidence()).put("listing", listing.getString("node"))));
            break;
          }
        }
      }
    }
    return out;
  }

  /** The fire came from the other side of a split without a minimum size, before the merge, the delete answered during it. */
  private static boolean cutOff(Op delete, JsonObject fire, List<Fault> splits, List<Fault> all, Nodes nodes,
                                Settings settings) {
    if (settings.minimumSize() != null) {
      return false;
    }
    String deleting = nodes.name(delete.invoke().getString("node"));
    String firing = nodes.name(fire.getString("node"));
    long fireAt = fire.getLong("t");
    for (Fault p : splits) {
      boolean separated = p.kind().equals("pause") ? p.nodes().contains(deleting) != p.nodes().contains(firing)
          : p.separates(deleting, firing) || (!deleting.equals(firing)
              && (p.bridges().contains(deleting) || p.bridges().contains(firing) || Fault.splitsAfterItsEnd(p, settings)
                  || Fault.rejoinedUnmerged(all, p, firing, settings) || Fault.rejoinedUnmerged(all, p, deleting, settings)));
      if (separated && delete.settledAt() >= p.start() && p.contains(delete.settledAt(), fireAt, settings.mergeWindowMs())) {
        return true;
      }
    }
    return false;
  }
}
