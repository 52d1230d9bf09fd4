package io.steward.tasks;

import io.steward.bus.Fields;
import io.vertx.core.json.JsonObject;

/** The body of {@code steward.tasks.list}: {@code {state?, type?, supervisor?, limit?}} (limit 1-1000, 100). */
record ListQuery(TaskState state, String type, String supervisor, int limit) {

  static final int DEFAULT_LIMIT = 100;
  static final int MAX_LIMIT = 1_000;

  static ListQuery parse(Object body) {
    Fields f = Fields.of(body);
    String state = f.oneOf("state", null, TaskState.NAMES);
    ListQuery q = new ListQuery(state == null ? null : TaskState.of(state), f.string("type", null, 100),
      f.string("supervisor", null, 64), f.integer("limit", DEFAULT_LIMIT, 1, MAX_LIMIT));
    f.done();
    return q;
  }

  boolean matches(TaskRecord r) {
    if (type != null && !type.equals(r.typeName())) {
      return false;
    }
    if (supervisor != null && !supervisor.equals(r.supervisorName())) {
      return false;
    }
    if (state != null) {
      return r.state() == state;
    }
    return true;
  }

  JsonObject toJson() {
    JsonObject o = new JsonObject().put("limit", limit);
    if (state != null) {
      o.put("state", state.wire());
    }
    if (type != null) {
      o.put("type", type);
    }
    if (supervisor != null) {
      o.put("supervisor", supervisor);
    }
    return o;
  }
}
