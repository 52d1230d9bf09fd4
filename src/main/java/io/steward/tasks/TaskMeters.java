package io.steward.tasks;

import io.micrometer.core.instrument.Counter;
import io.micrometer.core.instrument.MeterRegistry;

import java.util.concurrent.ConcurrentHashMap;

/**
 * The meters of one (supervisor, type) pair, looked up once and cached: counting a task costs a few adds.
 * Types come from the registry and supervisors from the configuration, so the tag sets stay small.
 */
final class TaskMeters {

  final Counter submitted;
  final Counter started;
  final Counter deadLetters;
  private final Counter[] finished = new Counter[TaskState.values().length];
  private final ConcurrentHashMap<String, Counter> restarts = new ConcurrentHashMap<>();
  private final MeterRegistry registry;
  private final String supervisor;
  private final String type;

  private TaskMeters(MeterRegistry registry, String supervisor, String type) {
    this.registry = registry;
    this.supervisor = supervisor;
    this.type = type;
    submitted = Counter.builder("steward_tasks_submitted").description("Tasks accepted")
      .tag("supervisor", supervisor).tag("type", type).register(registry);
    started = Counter.builder("steward_tasks_started").description("Attempts started (restarts included)")
      .tag("supervisor", supervisor).tag("type", type).register(registry);
    deadLetters = Counter.builder("steward_tasks_dead_letters").description("Tasks that reached their restart limit")
      .tag("supervisor", supervisor).tag("type", type).register(registry);
    for (TaskState s : TaskState.values()) {
      if (s.isFinal()) {
        finished[s.ordinal()] = Counter.builder("steward_tasks_finished").description("Tasks that reached a final state")
          .tag("supervisor", supervisor).tag("type", type).tag("state", s.wire()).register(registry);
      }
    }
  }

  void finished(TaskState state) {
    finished[state.ordinal()].increment();
  }

  /** reason: failed, timed-out, succeeded (permanent), node-lost. */
  void restarted(String reason) {
    restarts.computeIfAbsent(reason, r -> Counter.builder("steward_tasks_restarts").description("Restarts by reason")
      .tag("supervisor", supervisor).tag("type", type).tag("reason", r).register(registry)).increment();
  }

  /** The meters of every (supervisor, type) pair of one node. */
  static final class Cache {
    private final MeterRegistry registry;
    private final ConcurrentHashMap<String, ConcurrentHashMap<String, TaskMeters>> bySupervisor = new ConcurrentHashMap<>();

    Cache(MeterRegistry registry) {
      this.registry = registry;
    }

    TaskMeters of(String supervisor, String type) {
      ConcurrentHashMap<String, TaskMeters> byType = bySupervisor.get(supervisor);
      if (byType == null) {
        byType = bySupervisor.computeIfAbsent(supervisor, s -> new ConcurrentHashMap<>());
      }
      TaskMeters m = byType.get(type);
      return m != null ? m : byType.computeIfAbsent(type, t -> new TaskMeters(registry, supervisor, type));
    }
  }
}
