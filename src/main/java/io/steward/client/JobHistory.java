package io.steward.client;

import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;

import java.util.ArrayList;
import java.util.List;

/** A job's last runs, newest first, and its run counts by outcome. */
public record JobHistory(String name, List<JobRun> runs, JsonObject counts) {

  static JobHistory from(JsonObject o) {
    List<JobRun> runs = new ArrayList<>();
    JsonArray a = o.getJsonArray("runs", new JsonArray());
    for (int i = 0; i < a.size(); i++) {
      runs.add(JobRun.from(a.getJsonObject(i)));
    }
    return new JobHistory(o.getString("name"), List.copyOf(runs), o.getJsonObject("counts", new JsonObject()));
  }
}
