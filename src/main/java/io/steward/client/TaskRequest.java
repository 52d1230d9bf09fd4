package io.steward.client;

import io.vertx.core.json.JsonObject;

import java.time.Duration;
import java.util.Objects;

/**
 * A task to submit or run: its type and payload, and optionally the supervisor, restart strategy, timeout and an
 * idempotency key (docs/tasks.md). Immutable: each setter returns a new request.
 * {@code TaskRequest.of("email").payload(new JsonObject().put("to", "ada@example.com")).key("welcome-42")}.
 */
public final class TaskRequest {

  /** OTP's restart strategies (docs/tasks.md, "Restarts"). */
  public enum Restart {
    TEMPORARY, TRANSIENT, PERMANENT;

    String wire() {
      return name().toLowerCase(java.util.Locale.ROOT);
    }
  }

  private final JsonObject json;

  private TaskRequest(JsonObject json) {
    this.json = json;
  }

  public static TaskRequest of(String type) {
    return new TaskRequest(new JsonObject().put("type", Objects.requireNonNull(type, "type")));
  }

  private TaskRequest with(String field, Object value) {
    return new TaskRequest(json.copy().put(field, value));
  }

  /** A JSON value ({@code JsonObject}, {@code JsonArray}, string, number, boolean), or an object Jackson maps. */
  public TaskRequest payload(Object payload) {
    return with("payload", Values.json(payload));
  }

  public TaskRequest supervisor(String supervisor) {
    return with("supervisor", supervisor);
  }

  public TaskRequest restart(Restart restart) {
    return with("restart", restart.wire());
  }

  /** At most {@code maxRestarts} restarts within {@code within} (docs/tasks.md). */
  public TaskRequest maxRestarts(int maxRestarts, Duration within) {
    return new TaskRequest(json.copy().put("maxRestarts", maxRestarts).put("withinMs", within.toMillis()));
  }

  /** How long one attempt may run. */
  public TaskRequest timeout(Duration timeout) {
    return with("timeoutMs", timeout.toMillis());
  }

  /** An idempotency key: a submit with a key held by a live task answers that task. */
  public TaskRequest key(String key) {
    return with("key", key);
  }

  /**
   * Its priority within its supervisor, -10 to 10 (default 0): higher starts first, and a waiting task gains a step
   * every {@code tasks.priorityAgingMs}, so none starves. Out of range is refused with 400 by the node.
   */
  public TaskRequest priority(int priority) {
    return with("priority", priority);
  }

  /** Keep the key bound this long after the task ended, so a late retry does not run it again. */
  public TaskRequest uniqueFor(Duration window) {
    return with("uniqueForMs", window.toMillis());
  }

  /**
   * Run {@code delay} after the submit (Oban's {@code schedule_in}); the task is {@code scheduled} until then, and
   * replaces an earlier {@link #runAt}.
   */
  public TaskRequest delay(Duration delay) {
    JsonObject j = json.copy();
    j.remove("runAt");
    return new TaskRequest(j.put("delayMs", delay.toMillis()));
  }

  /**
   * Run at {@code at} (JobRunr's {@code schedule(Instant, …)}, Oban's {@code scheduled_at}), sent as epoch milliseconds;
   * the task is {@code scheduled} until then, and replaces an earlier {@link #delay}.
   */
  public TaskRequest runAt(java.time.Instant at) {
    JsonObject j = json.copy();
    j.remove("delayMs");
    return new TaskRequest(j.put("runAt", at.toEpochMilli()));
  }

  public String type() {
    return json.getString("type");
  }

  public String key() {
    return json.getString("key");
  }

  /** The request body as sent ({@code steward.tasks.submit}). */
  public JsonObject toJson() {
    return json.copy();
  }

  long timeoutMs(long otherwise) {
    Long t = json.getLong("timeoutMs");
    return t == null ? otherwise : t;
  }

  @Override
  public String toString() {
    return json.encode();
  }
}
