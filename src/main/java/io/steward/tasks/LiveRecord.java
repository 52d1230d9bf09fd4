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
 * record reports each of them {@code lost}. Compact, because it is rewritten often and can list tens of
 * thousands of tasks: a JSON header, then one line per task, {@code idSuffix,type,supervisor,submittedAt,state,attempts}
 * with the id's node prefix left out and types and supervisors as indexes into the header's lists.
 */
final class LiveRecord {

  /** A temporary task as the record remembers it. */
  record Entry(String id, String type, String supervisor, long submittedAt, String state, int attempts) {
  }

  private LiveRecord() {
  }

  static String encode(String node, String idPrefix, long at, Collection<TaskRecord> tasks) {
    Map<String, Integer> types = new LinkedHashMap<>();
    Map<String, Integer> sups = new LinkedHashMap<>();
    StringBuilder lines = new StringBuilder();
    int n = 0;
    for (TaskRecord r : tasks) {
      if (r.durable() || r.seq < 0) {
        continue;
      }
      TaskState state;
      int attempts;
      synchronized (r) {
        state = r.state();
        attempts = r.attempts();
      }
      if (state.isFinal()) {
        continue;
      }
      int t = types.computeIfAbsent(r.typeName(), k -> types.size());
      int s = sups.computeIfAbsent(r.supervisorName(), k -> sups.size());
      lines.append(r.seq).append(',').append(t).append(',').append(s).append(',')
        .append(r.submittedAt).append(',').append(state.ordinal()).append(',').append(attempts).append('\n');
      n++;
    }
    String header = new JsonObject().put("node", node).put("prefix", idPrefix).put("at", at).put("count", n)
      .put("types", new JsonArray(new ArrayList<>(types.keySet())))
      .put("supervisors", new JsonArray(new ArrayList<>(sups.keySet()))).encode();
    return header + "\n" + lines;
  }

  static List<Entry> decode(String text) {
    int nl = text.indexOf('\n');
    JsonObject header = new JsonObject(nl < 0 ? text : text.substring(0, nl));
    String prefix = header.getString("prefix");
    JsonArray types = header.getJsonArray("types");
    JsonArray sups = header.getJsonArray("supervisors");
    TaskState[] states = TaskState.values();
    List<Entry> out = new ArrayList<>(header.getInteger("count", 0));
    if (nl < 0) {
      return out;
    }
    for (String line : text.substring(nl + 1).split("\n")) {
      if (line.isEmpty()) {
        continue;
      }
      String[] f = line.split(",");
      out.add(new Entry(prefix + f[0], types.getString(Integer.parseInt(f[1])), sups.getString(Integer.parseInt(f[2])),
        Long.parseLong(f[3]), states[Integer.parseInt(f[4])].wire(), Integer.parseInt(f[5])));
    }
    return out;
  }
}
