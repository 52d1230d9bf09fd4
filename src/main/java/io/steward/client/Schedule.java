package io.steward.client;

import io.vertx.core.Future;
import io.vertx.core.json.JsonObject;

/** Interval and cron jobs, once per cluster per tick (docs/schedule.md): {@code client.schedule()}. */
public final class Schedule {

  static final String PUT = "steward.schedule.put";
  static final String GET = "steward.schedule.get";
  static final String DELETE = "steward.schedule.delete";
  static final String PAUSE = "steward.schedule.pause";
  static final String RESUME = "steward.schedule.resume";
  static final String TRIGGER = "steward.schedule.trigger";
  static final String HISTORY = "steward.schedule.history";

  private final Bus bus;

  Schedule(Bus bus) {
    this.bus = bus;
  }

  /** Creates or replaces the job {@code name}; the job as stored. */
  public Future<JobInfo> put(String name, Job job) {
    return bus.request(PUT, job.toJson(name), true).map(JobInfo::from);
  }

  public Future<JobInfo> get(String name) {
    return bus.request(GET, named(name), true).map(JobInfo::from);
  }

  /** Deletes the job; 404 when there is none. */
  public Future<Void> delete(String name) {
    return bus.request(DELETE, named(name), true).mapEmpty();
  }

  /** Stops the job cluster-wide until {@link #resume}. */
  public Future<JobInfo> pause(String name) {
    return bus.request(PAUSE, named(name), true).map(JobInfo::from);
  }

  public Future<JobInfo> resume(String name) {
    return bus.request(RESUME, named(name), true).map(JobInfo::from);
  }

  /** Runs the job's action once now; the run, once it ended. Never retried by a {@link Retry}. */
  public Future<JobRun> trigger(String name) {
    return bus.request(TRIGGER, named(name), false).map(JobRun::from);
  }

  public Future<JobHistory> history(String name) {
    return bus.request(HISTORY, named(name), true).map(JobHistory::from);
  }

  public Future<JobHistory> history(String name, int limit) {
    return bus.request(HISTORY, named(name).put("limit", limit), true).map(JobHistory::from);
  }

  private static JsonObject named(String name) {
    return new JsonObject().put("name", name);
  }
}
