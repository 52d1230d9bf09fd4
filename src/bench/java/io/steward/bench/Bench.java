package io.steward.bench;

import java.util.LinkedHashMap;
import java.util.Map;

/**
 * Benchmarks, not tests: {@code mvn -B -Pbench verify -Dbench=<name>} (or {@code all}). Each prints its
 * figures beside the peer it must beat, measured in the same run, so ratios survive a noisy machine.
 */
public final class Bench {

  private static final Map<String, Runnable> BENCHMARKS = new LinkedHashMap<>();

  static {
    BENCHMARKS.put("node", () -> run(NodeBench::main));
    BENCHMARKS.put("fanout", () -> run(FanoutBench::main));
    BENCHMARKS.put("cache", () -> run(CacheBench::main));
    BENCHMARKS.put("bridge", () -> run(BridgeBench::main));
    BENCHMARKS.put("tasks", () -> run(TasksBench::main));
    BENCHMARKS.put("tasks-tracing", () -> run(TasksTracingBench::main));
    BENCHMARKS.put("schedule", () -> run(ScheduleBench::main));
    BENCHMARKS.put("store", () -> run(io.steward.store.StoreBench::main));
    BENCHMARKS.put("durable", () -> run(DurableBench::main));
    BENCHMARKS.put("limits", () -> run(LimitsBench::main));
    BENCHMARKS.put("delayed", () -> run(DelayedBench::main));
    BENCHMARKS.put("workflows", () -> run(WorkflowsBench::main));
  }

  private Bench() {
  }

  public static void main(String[] args) {
    String which = args.length == 0 ? "all" : args[0];
    if (which.equals("all")) {
      BENCHMARKS.values().forEach(Runnable::run);
    } else if (BENCHMARKS.containsKey(which)) {
      BENCHMARKS.get(which).run();
    } else {
      System.err.println("unknown benchmark '" + which + "'; known: all, " + String.join(", ", BENCHMARKS.keySet()));
      System.exit(2);
    }
    System.exit(0);
  }

  interface Main {
    void run() throws Exception;
  }

  private static void run(Main main) {
    try {
      main.run();
    } catch (Exception e) {
      throw new IllegalStateException(e);
    }
  }
}
