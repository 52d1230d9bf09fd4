package io.steward.client;

import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;

import java.util.ArrayList;
import java.util.List;

/**
 * A fan-out's answer: {@code outcome} ({@code satisfied}, {@code failed}, …), the counts by status and one
 * {@link Item} per item (docs/fanout.md, "The reply").
 */
public record FanoutResult(String outcome, String mode, JsonObject counts, long elapsedMs, List<Item> results,
                           JsonObject json) {

  /**
   * One item: {@code status} {@code ok} (with its {@code value}), {@code failed} or {@code timed-out} (with the
   * error's code and message), {@code abandoned} or {@code not-sent}.
   */
  public record Item(int index, String status, Object value, Integer errorCode, String errorMessage) {

    public boolean ok() {
      return "ok".equals(status);
    }

    /** The value as a {@code type} (mapped by Jackson databind unless it is one already). */
    public <T> T value(Class<T> type) {
      return Values.as(value, type);
    }

    static Item from(JsonObject o) {
      JsonObject error = o.getJsonObject("error");
      return new Item(o.getInteger("index", -1), o.getString("status"), o.getValue("value"),
        error == null ? null : error.getInteger("code"), error == null ? null : error.getString("message"));
    }
  }

  public boolean satisfied() {
    return "satisfied".equals(outcome);
  }

  /** {@code counts.ok}: how many items succeeded. */
  public int ok() {
    return counts.getInteger("ok", 0);
  }

  static FanoutResult from(JsonObject o) {
    return new FanoutResult(o.getString("outcome"), o.getString("mode"), o.getJsonObject("counts", new JsonObject()),
      o.getLong("elapsedMs", 0L), items(o.getJsonArray("results")), o);
  }

  static List<Item> items(JsonArray a) {
    List<Item> items = new ArrayList<>();
    if (a != null) {
      for (int i = 0; i < a.size(); i++) {
        items.add(Item.from(a.getJsonObject(i)));
      }
    }
    return List.copyOf(items);
  }
}
