package io.steward.campaign;

import io.vertx.core.json.JsonObject;

import java.util.ArrayList;
import java.util.List;

/** Every checker of the campaign, each a pure function of the history (docs/campaign.md, "Checkers"). */
public final class Checkers {

  private Checkers() {
  }

  public static List<Checker> all() {
    return List.of(new NoTickFiredTwice(), new NeverOnBothSides(), new MissedTicks(), new DeletedJobs(),
        new DurableTasks(), new UniqueKeys(), new CachePuts(), new CacheIncrements(), new ComputeOnce(),
        new DocumentedCodes(), new FinalCluster(), new NoErrorLines());
  }

  /**
   * The anomalies of every checker, in the order of {@link #all()}, less those a reported data loss excuses
   * ({@link DataLoss}). A checker that cannot read the history (a field missing or of the wrong type) reports that as
   * an anomaly of its own, so the other checkers still judge.
   */
  public static List<Anomaly> run(History history) {
    List<Anomaly> out = new ArrayList<>();
    for (Checker c : all()) {
      try {
        out.addAll(c.check(history));
      } catch (RuntimeException e) {
        out.add(new Anomaly(c.name(), "the checker could not read the history: " + e,
            new JsonObject().put("exception", String.valueOf(e))));
      }
    }
    return DataLoss.judge(history, out).anomalies();
  }
}
