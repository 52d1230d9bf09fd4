package io.steward.client;

import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;

import java.util.ArrayList;
import java.util.List;

/** A gather's answer: one {@link Node} per node asked (docs/fanout.md, "Gather"). */
public record GatherResult(String verb, JsonObject counts, long elapsedMs, List<Node> nodes) {

  /** One node's answer: {@code status} {@code ok} (with its {@code value}), {@code failed}, {@code timed-out} or {@code left}. */
  public record Node(String id, String name, String status, Object value, Integer errorCode, String errorMessage) {
  }

  static GatherResult from(JsonObject o) {
    List<Node> nodes = new ArrayList<>();
    JsonArray a = o.getJsonArray("nodes", new JsonArray());
    for (int i = 0; i < a.size(); i++) {
      JsonObject n = a.getJsonObject(i);
      JsonObject error = n.getJsonObject("error");
      nodes.add(new Node(n.getString("node"), n.getString("name"), n.getString("status"), n.getValue("value"),
        error == null ? null : error.getInteger("code"), error == null ? null : error.getString("message")));
    }
    return new GatherResult(o.getString("verb"), o.getJsonObject("counts", new JsonObject()), o.getLong("elapsedMs", 0L),
      List.copyOf(nodes));
  }
}
