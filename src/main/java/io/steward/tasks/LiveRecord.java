package io.steward.tasks;

import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;

import java.util.ArrayList;
import java.util.Collection;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * The cluster-wide record of one node's temporary tasks: which were pending or running when it was last
 * written (every {@code tasks.publishMs}, off the submit path). If the node dies, the survivor that takes the
 * record reports each of them {@code lost}. Compact, because it is rewritten often: ids without the node
 * prefix, types and supervisors by index.
 */
final class LiveRecord {

  /** A temporary task as the record remembers it. */
  record Entry(String id, String type, String supervisor, long submittedAt, String state, int attempts) {
  }

  private LiveRecord() {
  }

  static String encode(String node, String idPrefix, long at, Collection<TaskRecord> live) {
    Map<String, Integer> types = new LinkedHashMap<>();
    Map<String, Integer> sups = new LinkedHashMap<>();
    JsonArray tasks = new JsonArray();
    for (TaskRecord r : live) {
      if (r.durable()) {
        continue;
      }
      TaskState state;
      int attempts;
      synchronized (r) {
        state = r.state;
        attempts = r.attempts;
      }
      if (state.isFinal() || !r.id.startsWith(idPrefix)) {
        continue;
      }
      int t = types.computeIfAbsent(r.typeName(), k -> types.size());
      int s = sups.computeIfAbsent(r.supervisorName(), k -> sups.size());
      tasks.add(new JsonArray().add(r.id.substring(idPrefix.length())).add(t).add(s).add(r.submittedAt)
        .add(state.wire()).add(attempts));
    }
    return new JsonObject().put("node", node).put("prefix", idPrefix).put("at", at)
      .put("types", new JsonArray(new ArrayList<>(types.keySet())))
      .put("supervisors", new JsonArray(new ArrayList<>(sups.keySet())))
      .put("tasks", tasks).encode();
  }

  static List<Entry> decode(String text) {
    JsonObject o = new JsonObject(text);
    String prefix = o.getString("prefix");
    JsonArray types = o.getJsonArray("types");
    JsonArray sups = o.getJsonArray("supervisors");
    List<Entry> out = new ArrayList<>();
    for (Object e : o.getJsonArray("tasks")) {
      JsonArray a = (JsonArray) e;
      out.add(new Entry(prefix + a.getString(0), types.getString(a.getInteger(1)), sups.getString(a.getInteger(2)),
        a.getLong(3), a.getString(4), a.getInteger(5)));
    }
    return out;
  }

  static int count(String text) {
    return new JsonObject(text).getJsonArray("tasks").size();
  }
}
