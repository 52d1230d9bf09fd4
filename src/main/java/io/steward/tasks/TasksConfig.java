package io.steward.tasks;

import io.steward.spi.ConfigException;
import io.steward.spi.Setting;
import io.vertx.core.json.JsonObject;

import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/** The {@code tasks} section, parsed once. */
record TasksConfig(
  Map<String, SupervisorConfig> supervisors,
  boolean virtualThreads,
  int maxRestarts,
  long withinMs,
  Backoff backoff,
  int maxFinished,
  long finishedTtlMs,
  int maxDeadLetters,
  long deadLetterTtlMs,
  long publishMs,
  int maxEvents,
  long orphanSweepMs,
  int submitInstances,
  long priorityAgingMs,
  int lostPartitionHoldSeconds) {

  static final long DEFAULT_PRIORITY_AGING_MS = 1_000;

  static final List<Setting> SETTINGS = List.of(
    Setting.json("tasks.supervisors", new JsonObject().put(SupervisorConfig.DEFAULT, new JsonObject()
        .put("workers", SupervisorConfig.DEFAULT_WORKERS).put("maxQueued", SupervisorConfig.DEFAULT_MAX_QUEUED)),
      "Named supervisors, each with its own pool and queue: {name: {workers, maxQueued, virtualThreads?, maxZombies?, "
        + "timeoutMs?, dispatchAhead?, clusterLimit?, ratePerPeriod?, periodMs?, partitionBy?}}; 'default' is added when "
        + "missing (docs/tasks.md)"),
    Setting.bool("tasks.virtualThreads", false, "Run handlers on virtual threads unless a supervisor says otherwise "
      + "(needs a JVM >= 21; on an older one a warning is logged and platform threads are used)"),
    Setting.integer("tasks.maxRestarts", 3, "Default per-task restart limit: at most this many restarts within tasks.withinMs, then the task fails into the dead letters"),
    Setting.integer("tasks.withinMs", 5_000, "Default window of the per-task restart limit, in ms"),
    Setting.integer("tasks.backoffMs", 100, "First restart delay; doubles with each restart in the window, the upper half random (jitter)"),
    Setting.integer("tasks.maxBackoffMs", 30_000, "Longest restart delay"),
    Setting.integer("tasks.maxFinished", 10_000, "Finished tasks each node keeps for get/list/await (oldest dropped first), locally and, for durable and lost tasks, in the cluster"),
    Setting.integer("tasks.finishedTtlMs", 600_000, "How long finished tasks are kept, in ms"),
    Setting.integer("tasks.maxDeadLetters", 1_000, "Dead letters each node keeps in the cluster-wide list (the oldest it wrote goes first)"),
    Setting.integer("tasks.deadLetterTtlMs", 604_800_000, "How long dead letters are kept, in ms (7 days)"),
    Setting.integer("tasks.publishMs", 100, "Interval of the batched lifecycle events and of the cluster-wide record of temporary tasks, in ms"),
    Setting.integer("tasks.maxEvents", 2_000, "Events published per interval and kind (routine, important) per node; the excess is counted as dropped"),
    Setting.integer("tasks.orphanSweepMs", 5_000, "How often each node looks for durable tasks of departed nodes to take over, in ms"),
    Setting.integer("tasks.submitInstances", 2, "Event loops that take submit and run requests (the busiest addresses); more let accepting tasks use more cores"),
    Setting.integer("tasks.priorityAgingMs", (int) DEFAULT_PRIORITY_AGING_MS, "Aging of task priorities, in ms: a queued task is never passed by one "
      + "queued more than (10 - its priority) x this after it, whatever that one's priority (docs/tasks.md)"),
    Setting.integer("tasks.lostPartitionHoldSeconds", 120, "With cluster.minimumSize: how long keyed submits of a key "
      + "whose binding's every copy left this side at once (the WARN 'Partitions lost') are refused (503) unless a "
      + "split-brain merge brings the copies back first; 0 takes them at once, and a key may then be bound on both "
      + "sides (docs/tasks.md)")
  );

  static TasksConfig from(JsonObject s) {
    boolean virtual = s.getBoolean("virtualThreads");
    Object sups = s.getValue("supervisors");
    if (!(sups instanceof JsonObject supervisorsJson)) {
      throw new ConfigException("tasks.supervisors", "must be a JSON object of named supervisors");
    }
    Map<String, SupervisorConfig> supervisors = new LinkedHashMap<>();
    if (!supervisorsJson.containsKey(SupervisorConfig.DEFAULT)) {
      supervisors.put(SupervisorConfig.DEFAULT, SupervisorConfig.parse(SupervisorConfig.DEFAULT, new JsonObject(), virtual));
    }
    for (Map.Entry<String, Object> e : supervisorsJson) {
      supervisors.put(e.getKey(), SupervisorConfig.parse(e.getKey(), e.getValue(), virtual));
    }
    int maxRestarts = range(s, "maxRestarts", 0, 1_000);
    long withinMs = range(s, "withinMs", 1, Integer.MAX_VALUE);
    long backoffMs = range(s, "backoffMs", 0, Integer.MAX_VALUE);
    long maxBackoffMs = range(s, "maxBackoffMs", 0, Integer.MAX_VALUE);
    if (maxBackoffMs < backoffMs) {
      throw new ConfigException("tasks.maxBackoffMs", "must be at least tasks.backoffMs (" + backoffMs + "), got " + maxBackoffMs);
    }
    return new TasksConfig(java.util.Collections.unmodifiableMap(supervisors), virtual, maxRestarts, withinMs, new Backoff(backoffMs, maxBackoffMs),
      range(s, "maxFinished", 0, 10_000_000),
      range(s, "finishedTtlMs", 1_000, Integer.MAX_VALUE),
      range(s, "maxDeadLetters", 1, 10_000_000),
      range(s, "deadLetterTtlMs", 1_000, Integer.MAX_VALUE),
      range(s, "publishMs", 10, 60_000),
      range(s, "maxEvents", 0, 1_000_000),
      range(s, "orphanSweepMs", 100, 3_600_000),
      range(s, "submitInstances", 1, 64),
      range(s, "priorityAgingMs", 1, 3_600_000),
      range(s, "lostPartitionHoldSeconds", 0, 86_400));
  }

  private static int range(JsonObject s, String key, int min, int max) {
    int v = s.getInteger(key);
    if (v < min || v > max) {
      throw new ConfigException("tasks." + key, "must be between " + min + " and " + max + ", got " + v);
    }
    return v;
  }
}
