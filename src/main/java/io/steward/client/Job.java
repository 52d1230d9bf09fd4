package io.steward.client;

import io.vertx.core.json.JsonObject;

import java.time.Duration;
import java.time.Instant;
import java.time.ZoneId;
import java.util.Locale;

/**
 * A job definition for {@link Schedule#put} (docs/schedule.md, "A job"): when it fires ({@link #every} or
 * {@link #cron}) and what it does ({@link #runTask}, {@link #submitTask}, {@link #send}, {@link #publish}).
 * Immutable: {@code Job.cron("0 0 9 * * MON-FRI", ZoneId.of("Europe/Paris")).runTask(TaskRequest.of("report"))}.
 */
public final class Job {

  /** What happens to a tick while the previous run is unfinished. */
  public enum Overlap {
    SKIP, ALLOW, QUEUE
  }

  /** What happens to ticks nobody fired in time. */
  public enum Misfire {
    SKIP, FIRE_ONCE
  }

  private final JsonObject json;

  private Job(JsonObject json) {
    this.json = json;
  }

  /** Every {@code period} of real time (at least 100 ms). */
  public static Job every(Duration period) {
    return new Job(new JsonObject().put("every", period.toMillis()));
  }

  /** A cron expression of six fields, seconds first ({@code 0 0 9 * * MON-FRI}), in {@code zone}. */
  public static Job cron(String expression, ZoneId zone) {
    return new Job(new JsonObject().put("cron", expression).put("zone", zone.getId()));
  }

  private Job with(String field, Object value) {
    return new Job(json.copy().put(field, value));
  }

  /** Each tick runs {@code task} and its run ends when the task does. */
  public Job runTask(TaskRequest task) {
    return with("action", new JsonObject().put("type", "task").put("task", task.toJson()));
  }

  /** Each tick submits {@code task}; its run ends once the task is accepted. */
  public Job submitTask(TaskRequest task) {
    return with("action", new JsonObject().put("type", "task").put("task", task.toJson()).put("wait", false));
  }

  /** Each tick sends {@code body} to {@code address} as a request; the run succeeds with the reply. */
  public Job send(String address, Object body) {
    return with("action", new JsonObject().put("type", "send").put("address", address).put("body", Values.json(body)));
  }

  /** Each tick publishes {@code body} on {@code address}. */
  public Job publish(String address, Object body) {
    return with("action", new JsonObject().put("type", "publish").put("address", address).put("body", Values.json(body)));
  }

  public Job overlap(Overlap overlap) {
    return with("overlap", overlap.name().toLowerCase(Locale.ROOT));
  }

  public Job misfire(Misfire misfire) {
    return with("misfire", misfire.name().toLowerCase(Locale.ROOT).replace('_', '-'));
  }

  /** Fire on every schedule node per tick instead of once per cluster. */
  public Job onEveryNode() {
    return with("runOn", "every-node");
  }

  public Job jitter(Duration jitter) {
    return with("jitterMs", jitter.toMillis());
  }

  public Job startAt(Instant start) {
    return with("startAt", start.toString());
  }

  public Job endAt(Instant end) {
    return with("endAt", end.toString());
  }

  public Job enabled(boolean enabled) {
    return with("enabled", enabled);
  }

  public Job description(String description) {
    return with("description", description);
  }

  /** The definition as sent to {@code steward.schedule.put}. */
  public JsonObject toJson(String name) {
    return json.copy().put("name", name);
  }

  @Override
  public String toString() {
    return json.encode();
  }
}
