package io.steward.client;

import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;

import java.time.Duration;
import java.util.List;
import java.util.Locale;

/**
 * A fan-out (docs/fanout.md): one task per item ({@link #tasks}), one request per item to an address
 * ({@link #toAddress}) or a list of requests ({@link #requests}), with a mode and limits. Immutable.
 */
public final class FanoutRequest {

  /** When a fan-out is done (docs/fanout.md, "Modes"). */
  public enum Mode {
    ALL, SETTLED, ANY, QUORUM;

    String wire() {
      return name().toLowerCase(Locale.ROOT);
    }
  }

  /** One request of {@link #requests}: {@code body} (any JSON, or null) to {@code address}. */
  public record Target(String address, Object body) {
  }

  private final JsonObject json;

  private FanoutRequest(JsonObject json) {
    this.json = json;
  }

  /** A task of {@code type} per item, its payload the item; an item's value is the task's result. */
  public static FanoutRequest tasks(String type, List<?> items) {
    return new FanoutRequest(new JsonObject().put("type", type).put("items", new JsonArray(List.copyOf(items))));
  }

  /** A request to {@code address} per item, its body the item. */
  public static FanoutRequest toAddress(String address, List<?> items) {
    return new FanoutRequest(new JsonObject().put("address", address).put("items", new JsonArray(List.copyOf(items))));
  }

  public static FanoutRequest requests(List<Target> targets) {
    JsonArray a = new JsonArray();
    for (Target t : targets) {
      a.add(new JsonObject().put("address", t.address()).put("body", t.body()));
    }
    return new FanoutRequest(new JsonObject().put("requests", a));
  }

  private FanoutRequest with(String field, Object value) {
    return new FanoutRequest(json.copy().put(field, value));
  }

  public FanoutRequest mode(Mode mode) {
    return with("mode", mode.wire());
  }

  /** {@link Mode#QUORUM} with {@code n} successes needed. */
  public FanoutRequest quorum(int n) {
    return new FanoutRequest(json.copy().put("mode", Mode.QUORUM.wire()).put("n", n));
  }

  public FanoutRequest concurrency(int concurrency) {
    return with("concurrency", concurrency);
  }

  /** Per item. */
  public FanoutRequest timeout(Duration timeout) {
    return with("timeoutMs", timeout.toMillis());
  }

  /** For the whole fan-out: it answers with what it has by then. */
  public FanoutRequest deadline(Duration deadline) {
    return with("deadlineMs", deadline.toMillis());
  }

  public FanoutRequest ordered(boolean ordered) {
    return with("ordered", ordered);
  }

  /** Retry a failed item up to {@code count} more times (only for idempotent targets: docs/fanout.md). */
  public FanoutRequest retryItems(int count, Duration backoff) {
    return with("retry", new JsonObject().put("count", count).put("backoffMs", backoff.toMillis()));
  }

  public JsonObject toJson() {
    return json.copy();
  }

  long deadlineMs(long otherwise) {
    Long d = json.getLong("deadlineMs");
    return d == null ? otherwise : d;
  }

  @Override
  public String toString() {
    return json.encode();
  }
}
