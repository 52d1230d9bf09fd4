package io.steward.campaign;

import io.vertx.core.json.JsonObject;

import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;

/** What the history says of each job: its puts and deletes, and the mode a fire ran under. */
final class Jobs {

  private final Map<String, List<Op>> puts = new HashMap<>();
  private final Map<String, List<Op>> deletes = new HashMap<>();

  Jobs(History history) {
    for (Op op : Op.all(history)) {
      String job = op.invoke().getString("job");
      if (op.kind().equals("job.put")) {
        puts.computeIfAbsent(job, j -> new ArrayList<>()).add(op);
      } else if (op.kind().equals("job.delete")) {
        deletes.computeIfAbsent(job, j -> new ArrayList<>()).add(op);
      }
    }
  }

  List<Op> puts(String job) {
    return puts.getOrDefault(job, List.of());
  }

  List<Op> deletes(String job) {
    return deletes.getOrDefault(job, List.of());
  }

  /** The put in force at time {@code t}: the last one invoked before it that was not refused; null if none. */
  JsonObject definitionAt(String job, long t) {
    JsonObject last = null;
    for (Op put : puts(job)) {
      if (put.invokedAt() <= t && put.mayHaveApplied()) {
        last = put.invoke();
      }
    }
    return last;
  }

  /** Whether a fire at {@code t} belongs to a cluster-once job (the definition in force says {@code mode: cluster}). */
  boolean clusterOnceAt(String job, long t) {
    JsonObject def = definitionAt(job, t);
    return def == null || !"every".equals(def.getString("mode"));
  }
}
