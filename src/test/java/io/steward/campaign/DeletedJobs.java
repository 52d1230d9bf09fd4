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
 * before the delete was invoked (it may come after the delete: the job exists again).
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
        if (!putAgain) {
          out.add(new Anomaly(name(), "job " + job + " fired tick " + fire.getLong("tick") + ", "
              + (fire.getLong("tick") - ackWall) + " ms after its delete was acknowledged",
              new JsonObject().put("delete", delete.evidence()).put("fire", fire)));
          break;
        }
      }
    }
    return out;
  }
}
