package io.steward.schedule;

import io.steward.bus.StewardException;
import io.steward.spi.ConfigException;
import io.steward.spi.Setting;
import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;

import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Set;

/** The {@code schedule} section, parsed once. */
record ScheduleConfig(List<JobSpec> jobs, int instances, int historySize, int historyFlushMs, int misfireThresholdMs,
                      int defaultTimeoutMs, int maxJobs, int pauseFenceMs, int fenceAloneMs, String runEvents,
                      int tombstoneRetentionMinutes, int clockFenceMs, int leaseMs) {

  static final List<Setting> SETTINGS = List.of(
    Setting.json("schedule.jobs", new JsonArray(), "Jobs declared in configuration, created or updated at start-up: a JSON array of job definitions (docs/schedule.md); declare the same list on every node"),
    Setting.integer("schedule.instances", 2, "Scheduler instances on this node, each an event loop with its own timer queues; jobs are sharded across them by the partition of their name"),
    Setting.integer("schedule.historySize", 20, "Runs kept in each job's history (scheduled time, start, node, outcome, duration, missed)"),
    Setting.integer("schedule.historyFlushMs", 2000, "Runs are written to the job's history with its next claim, or after waiting this long on the node that ran them"),
    Setting.integer("schedule.misfireThresholdMs", 5000, "A tick that starts later than this after its time (or after the next tick is due) counts as missed and follows the job's misfire policy"),
    Setting.integer("schedule.defaultTimeoutMs", 30000, "How long a run of a job without timeoutMs may take (reply, task result) before it counts as failed"),
    Setting.integer("schedule.maxJobs", 100000, "Most jobs the cluster holds; a put beyond it gets 429"),
    Setting.integer("schedule.pauseFenceMs", 0, "An event-loop stall (GC pause, SIGSTOP) this long fences the node: it claims no tick until a peer that did not stall with it confirms its membership (0: half the cluster's failure detection time)"),
    Setting.integer("schedule.fenceAloneMs", 60000, "A fenced node with no peer to vouch for it (alone, or with only peers that stalled with it and lost members) waits this long for a split-brain merge before it fires as the survivors"),
    Setting.integer("schedule.clockFenceMs", 5000, "A schedule node whose wall clock is further than this from the cluster clock (the Hazelcast master's), while most other schedule nodes are within it, is fenced: it claims no cluster-once tick, and the others fire its jobs, until it has been back within this for 5 s (0: no clock fence; docs/schedule.md)"),
    Setting.integer("schedule.leaseMs", 0, "With cluster.minimumSize: a node claims cluster-once ticks only while, within this long, it heard from enough members to make up the minimum, the cluster's master among them, so that a node cut off from the majority stops before the majority takes its jobs over (0: half of failure detection minus the heartbeat interval; at most failure detection minus the heartbeat interval minus 1 s; docs/schedule.md)"),
    Setting.string("schedule.runEvents", "problems", "Which runs are published on steward.schedule.events: all, problems (failed runs, missed and skipped ticks) or none; job changes and fencing always are"),
    Setting.integer("schedule.tombstoneRetentionMinutes", 10080, "How long a deleted job's tombstone is kept, so that the delete survives a split brain that heals within this time (docs/schedule.md); longer splits can bring a deleted job back")
  );

  static ScheduleConfig from(JsonObject s) {
    ScheduleConfig c = new ScheduleConfig(jobs(s.getJsonArray("jobs", new JsonArray())), s.getInteger("instances"),
      s.getInteger("historySize"), s.getInteger("historyFlushMs"), s.getInteger("misfireThresholdMs"),
      s.getInteger("defaultTimeoutMs"), s.getInteger("maxJobs"), s.getInteger("pauseFenceMs"),
      s.getInteger("fenceAloneMs"), s.getString("runEvents"), s.getInteger("tombstoneRetentionMinutes"),
      s.getInteger("clockFenceMs"), s.getInteger("leaseMs"));
    range("schedule.tombstoneRetentionMinutes", c.tombstoneRetentionMinutes, 1, 527_040);
    range("schedule.instances", c.instances, 1, 64);
    range("schedule.historySize", c.historySize, 1, 1_000);
    range("schedule.historyFlushMs", c.historyFlushMs, 10, 60_000);
    range("schedule.misfireThresholdMs", c.misfireThresholdMs, 100, 86_400_000);
    range("schedule.defaultTimeoutMs", c.defaultTimeoutMs, 1, (int) Action.MAX_TIMEOUT_MS);
    range("schedule.maxJobs", c.maxJobs, 1, 10_000_000);
    range("schedule.pauseFenceMs", c.pauseFenceMs, 0, 3_600_000);
    range("schedule.fenceAloneMs", c.fenceAloneMs, 0, 86_400_000);
    range("schedule.clockFenceMs", c.clockFenceMs, 0, 86_400_000);
    range("schedule.leaseMs", c.leaseMs, 0, 3_600_000); // checked against failure detection at start-up (ClaimLease)
    if (!List.of("all", "problems", "none").contains(c.runEvents)) {
      throw new ConfigException("schedule.runEvents", "must be all, problems or none, got '" + c.runEvents + "'");
    }
    if (c.jobs.size() > c.maxJobs) {
      throw new ConfigException("schedule.jobs", "declares " + c.jobs.size() + " jobs, more than schedule.maxJobs (" + c.maxJobs + ")");
    }
    return c;
  }

  private static List<JobSpec> jobs(JsonArray array) {
    List<JobSpec> out = new ArrayList<>();
    Set<String> names = new HashSet<>();
    for (int i = 0; i < array.size(); i++) {
      String path = "schedule.jobs[" + i + "]";
      if (!(array.getValue(i) instanceof JsonObject job)) {
        throw new ConfigException(path, "must be a JSON object (a job definition)");
      }
      JobSpec spec;
      try {
        spec = JobSpec.parse(job);
      } catch (StewardException e) {
        String message = e.getMessage();
        String field = e.field();
        throw new ConfigException(field == null ? path : path + "." + field,
          field == null ? message : message.substring(field.length() + 2));
      }
      if (!names.add(spec.name())) {
        throw new ConfigException(path + ".name", "job '" + spec.name() + "' is declared twice");
      }
      out.add(spec);
    }
    return List.copyOf(out);
  }

  private static void range(String key, int v, int min, int max) {
    if (v < min || v > max) {
      throw new ConfigException(key, "must be between " + min + " and " + max + ", got " + v);
    }
  }
}
