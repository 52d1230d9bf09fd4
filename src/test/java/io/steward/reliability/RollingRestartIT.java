package io.steward.reliability;

import io.steward.bus.Addresses;
import io.steward.testing.Bus;
import io.steward.testing.NodeProcess;
import io.vertx.core.Future;
import io.vertx.core.json.JsonObject;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.condition.EnabledIf;

import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicLongArray;
import java.util.function.IntFunction;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * Scenario 4 of the reliability suite (issue 9): a rolling restart under load.
 *
 * <p>Three nodes run {@code tasks} and {@code cache}. The test JVM keeps three kinds of load going (cache puts,
 * counter increments with an {@code opId}, durable task submits with a {@code key}), each retried on the codes the
 * README calls retryable, while every node in turn gets SIGTERM, exits, starts again and the cluster is safe again
 * before the next. Expected: every failure a documented retryable code, no operation given up, every acknowledged
 * put readable, every acknowledged increment counted once, every acknowledged task succeeded with its effect, and
 * each node exiting 0 on SIGTERM.
 *
 * <p>Runs with {@code -Drolling=true} (or {@code -Dsoak=true}): about a minute, and the fault campaign's
 * {@code restart} fault (a rolling restart under the campaign's whole workload and checkers) covers it in long
 * campaigns, so it is kept out of every build to hold CI under 15 minutes.
 */
@EnabledIf("enabled")
class RollingRestartIT {

  static boolean enabled() {
    return Boolean.getBoolean("rolling") || Boolean.getBoolean("soak");
  }

  private static final String EFFECTS = "reliability.rolling.effect";
  private static final int COUNTERS = 4;
  private static final long SEND_TIMEOUT_MS = 5_000;
  /** Puts acknowledged between two restarts, so each node leaves with load in flight. */
  private static final int PUTS_PER_STEP = Soak.scale(300, 2_000);
  private static final int ROUNDS = Soak.scale(1, 3);

  @Test
  void under_load_a_rolling_restart_fails_only_with_retryable_codes_and_loses_nothing_acknowledged() throws Exception {
    Map<String, String> env = Map.of(
      "STEWARD_MODULES", "http,tasks,cache",
      "STEWARD_CACHE_CACHES", "{\"data\": {}, \"counters\": {}}",
      "STEWARD_CACHE_REMEMBERED_UPDATES", "4000",
      "STEWARD_TASKS_SUPERVISORS", new JsonObject().put("default", new JsonObject().put("workers", 8)
        .put("maxQueued", 5_000)).encode(),
      "STEWARD_TASKS_ORPHAN_SWEEP_MS", "1000");
    try (Rig rig = Rig.start(RollingRestartIT.class, 3, env)) {
      Effects effects = Effects.listen(rig.client, EFFECTS, 50).await(30, TimeUnit.SECONDS);
      long deadline = System.currentTimeMillis() + 600_000;
      Load load = new Load();

      List<Boolean> putAcked = java.util.Collections.synchronizedList(new ArrayList<>());
      Map<Integer, Integer> gaveUp = new ConcurrentHashMap<>();
      AtomicInteger putsAcked = new AtomicInteger();
      Future<Void> puts = load.run(i -> {
        synchronized (putAcked) {
          while (putAcked.size() <= i) {
            putAcked.add(false);
          }
        }
        return rig.bus.retried(Addresses.Cache.PUT, new JsonObject().put("cache", "data").put("key", "e" + i)
            .put("value", value(i)), SEND_TIMEOUT_MS, deadline)
          .onSuccess(r -> {
            putAcked.set(i, true);
            putsAcked.incrementAndGet();
          })
          .onFailure(err -> gaveUp.merge(Bus.code(err), 1, Integer::sum));
      }, 8);
      AtomicLongArray counted = new AtomicLongArray(COUNTERS);
      AtomicInteger incrementsAcked = new AtomicInteger();
      Future<Void> increments = load.run(n -> rig.bus.<JsonObject>retried(Addresses.Cache.UPDATE,
          new JsonObject().put("cache", "counters").put("key", "c" + (n % COUNTERS)).put("increment", 1)
            .put("opId", "inc-" + n).put("timeoutMs", 3_000), SEND_TIMEOUT_MS, deadline)
        .onSuccess(r -> {
          counted.incrementAndGet(n % COUNTERS);
          incrementsAcked.incrementAndGet();
        })
        .onFailure(err -> gaveUp.merge(Bus.code(err), 1, Integer::sum)), 4);
      List<String> taskIds = java.util.Collections.synchronizedList(new ArrayList<>());
      Future<Void> tasks = load.run(n -> rig.bus.<JsonObject>retried(Addresses.Tasks.SUBMIT, new JsonObject()
          .put("type", "bus").put("restart", "transient").put("maxRestarts", 5).put("withinMs", 600_000).put("key", "t" + n)
          .put("uniqueForMs", 600_000)
          .put("payload", new JsonObject().put("address", EFFECTS).put("body", new JsonObject().put("n", n))
            .put("timeoutMs", 30_000)), SEND_TIMEOUT_MS, deadline)
        .onSuccess(r -> taskIds.add(r.getString("id")))
        .onFailure(err -> gaveUp.merge(Bus.code(err), 1, Integer::sum)), 4);

      List<String> restarts = new ArrayList<>();
      List<Integer> exitCodes = new ArrayList<>();
      for (int round = 0; round < ROUNDS; round++) {
        for (NodeProcess node : rig.nodes) {
          int target = putsAcked.get() + PUTS_PER_STEP;
          rig.cluster.await(PUTS_PER_STEP + " more puts acknowledged before restarting " + node.name(), 120_000,
            () -> putsAcked.get() >= target);
          long t0 = System.currentTimeMillis();
          exitCodes.add(node.terminate(60_000));
          long exited = System.currentTimeMillis() - t0;
          node.start();
          rig.cluster.awaitHealthy(node, 120_000);
          rig.awaitMembers(3);
          rig.awaitSafe();
          restarts.add(node.name() + " " + exited + "+" + (System.currentTimeMillis() - t0 - exited) + " ms");
        }
      }
      load.stop();
      Future.join(puts, increments, tasks).await(300, TimeUnit.SECONDS);
      Map<Integer, Long> codes = rig.bus.codes();

      // Read everything back.
      CacheReadback.Entries read = CacheReadback.entries(rig, putAcked.size(), putAcked::get, RollingRestartIT::value);
      int lost = read.lost();
      int wrong = read.wrong();
      CacheReadback.Counters counters = CacheReadback.counters(rig, counted);
      long incrementDiff = counters.stored() - counters.acknowledged();
      List<String> acknowledged = List.copyOf(taskIds);
      Map<String, JsonObject> finals = KillDuringTasksIT.awaitFinal(rig, acknowledged, 180_000);
      int tasksLost = 0;
      for (String id : acknowledged) {
        JsonObject t = finals.get(id);
        if (t == null || !"succeeded".equals(t.getString("state")) || effects.of(id).isEmpty()) {
          tasksLost++;
        }
      }

      Verdict v = Verdict.of("rolling-restart")
        .figure("restarts (exit+start)", restarts)
        .figure("exit codes", exitCodes)
        .figure("puts acknowledged", putsAcked.get())
        .figure("entries lost", lost)
        .figure("wrong values", wrong)
        .figure("increments acknowledged", incrementsAcked.get())
        .figure("increments lost or doubled", incrementDiff)
        .figure("tasks acknowledged", acknowledged.size())
        .figure("tasks lost", tasksLost)
        .figure("duplicates", effects.duplicated().size())
        .figure("failed tries by code", codes)
        .figure("retries", rig.bus.retries())
        .figure("given up", gaveUp);
      v.check(lost == 0, lost + " acknowledged entries not readable")
        .check(wrong == 0, wrong + " acknowledged entries with another value")
        .check(counters.mismatches() == 0, "counters differ from the acknowledged increments by " + incrementDiff)
        .check(tasksLost == 0, tasksLost + " acknowledged tasks did not succeed with their effect")
        .check(gaveUp.isEmpty(), "operations given up, by last code: " + gaveUp)
        .check(codes.keySet().stream().allMatch(Bus::retryableCode), "failures with codes not documented as retryable: " + codes)
        .check(exitCodes.stream().allMatch(c -> c == 0), "a node did not exit 0 on SIGTERM: " + exitCodes)
        .check(rig.allHealthy() && rig.alive().size() == 3, "a node is not healthy after the restarts");
      NodeLogs.check(v, rig.nodes);
      assertThat(v.report()).as("failed checks of the verdict (line above)").isEmpty();
    }
  }

  private static JsonObject value(int i) {
    return new JsonObject().put("i", i).put("text", "entry " + i);
  }

  /** Operations issued without end until {@link #stop()}, a few in flight at a time. */
  private static final class Load {
    private volatile boolean stopped;

    Future<Void> run(IntFunction<Future<?>> operation, int inFlight) {
      return Window.runWhile(() -> !stopped, inFlight, operation);
    }

    void stop() {
      stopped = true;
    }
  }
}
