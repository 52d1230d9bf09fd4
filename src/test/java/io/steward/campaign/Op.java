package io.steward.campaign;

import io.vertx.core.json.JsonObject;

import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * One operation of the history: its {@code *.invoke} event and its completion ({@code *.ok}, {@code *.fail},
 * {@code *.info}), paired by {@code op}. An invoke with no completion counts as {@code info}, completed at the end
 * of time: it may still apply.
 */
record Op(JsonObject invoke, JsonObject completion, Status status) {

  enum Status { OK, FAIL, INFO }

  /** The operation's kind: the invoke's type without {@code .invoke} ({@code cache.put}). */
  String kind() {
    String type = invoke.getString("type");
    return type.substring(0, type.length() - ".invoke".length());
  }

  long invokedAt() {
    return invoke.getLong("t");
  }

  /** When the answer came, or {@link Long#MAX_VALUE} for an indeterminate operation (it may apply at any later time). */
  long settledAt() {
    return status == Status.INFO || completion == null ? Long.MAX_VALUE : completion.getLong("t");
  }

  /** {@link #settledAt()} on the wall clock. */
  long settledWall() {
    return status == Status.INFO || completion == null ? Long.MAX_VALUE : completion.getLong("wall");
  }

  boolean mayHaveApplied() {
    return status != Status.FAIL;
  }

  /** Every operation of the history, in invoke order. */
  static List<Op> all(History history) {
    Map<Long, JsonObject> invokes = new LinkedHashMap<>();
    Map<Long, JsonObject> completions = new LinkedHashMap<>();
    for (JsonObject e : history.events()) {
      String type = e.getString("type", "");
      Long op = e.getLong("op");
      if (op == null) {
        continue;
      }
      if (type.endsWith(".invoke")) {
        invokes.put(op, e);
      } else if (type.endsWith(".ok") || type.endsWith(".fail") || type.endsWith(".info")) {
        completions.putIfAbsent(op, e);
      }
    }
    List<Op> out = new ArrayList<>();
    invokes.forEach((op, invoke) -> {
      JsonObject done = completions.get(op);
      Status status;
      if (done == null || done.getString("type").endsWith(".info")) {
        status = Status.INFO;
      } else if (done.getString("type").endsWith(".ok")) {
        status = Status.OK;
      } else {
        status = Status.FAIL;
      }
      out.add(new Op(invoke, done, status));
    });
    return out;
  }

  /** The operations of one kind ({@code cache.put}), in invoke order. */
  static List<Op> of(History history, String kind) {
    return all(history).stream().filter(o -> o.kind().equals(kind)).toList();
  }

  /** For evidence: the invoke and its completion. */
  JsonObject evidence() {
    return new JsonObject().put("invoke", invoke).put("completion", completion);
  }
}
