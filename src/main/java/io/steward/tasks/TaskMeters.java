package io.steward.tasks;

import io.micrometer.core.instrument.Counter;
import io.micrometer.core.instrument.FunctionCounter;
import io.micrometer.core.instrument.MeterRegistry;

import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.atomic.LongAdder;

/**
 * The meters of one (supervisor, type) pair, looked up once and cached: counting a task costs a few adds.
 * Types come from the registry and supervisors from the configuration, so the tag sets stay small.
 */
final class TaskMeters {

  final LongAdder submitted = new LongAdder();
  final LongAdder started = new LongAdder();
  final LongAdder deadLetters = new LongAdder();
  private final LongAdder[] finished = new LongAdder[TaskState.values().length];
  private final ConcurrentHashMap<String, Counter> restarts = new ConcurrentHashMap<>();
  private final MeterRegistry registry;
  private final String supervisor;
  private final String type;

  private TaskMeters(MeterRegistry registry, String supervisor, String type) {
    this.registry = registry;
    this.supervisor = supervisor;
    this.type = type;
    // Counted in adders, read when scraped: the hot path pays a long add, not a double one.
    count("steward_tasks_submitted", "Tasks accepted", submitted).register(registry);
    count("steward_tasks_started", "Attempts started (restarts included)", started).register(registry);
    count("steward_tasks_dead_letters", "Tasks that reached their restart limit", deadLetters).register(registry);
    for (TaskState s : TaskState.values()) {
      // A refused submit was never accepted: counted by its rejected event, not as a finished task.
      if (s.isFinal() && s != TaskState.REFUSED) {
        finished[s.ordinal()] = new LongAdder();
        count("steward_tasks_finished", "Tasks that reached a final state", finished[s.ordinal()]).tag("state", s.wire())
          .register(registry);
      }
    }
  }

  private FunctionCounter.Builder<LongAdder> count(String name, String description, LongAdder adder) {
    return FunctionCounter.builder(name, adder, LongAdder::doubleValue).description(description)
      .tag("supervisor", supervisor).tag("type", type);
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
