package io.steward.reliability;

import io.steward.bus.Addresses;
import io.steward.testing.Bus;
import io.steward.testing.NodeProcess;
import io.vertx.core.Future;
import io.vertx.core.json.JsonObject;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.condition.EnabledIfSystemProperty;

import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicLongArray;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * Scenario 3 of the reliability suite (issue 9): SIGKILL a node during cache writes.
 *
 * <p>Three nodes run {@code cache}. The test JVM (a lite member, holding no data) writes entries with {@code put}
 * and, at the same time, increments a few counters with {@code update} (each with its own {@code opId}); requests
 * go to every node in turn. One node is SIGKILLed mid-way. A write that fails with a retryable code is sent again
 * (a put is idempotent; an increment carries the same {@code opId}, as the README says for 504 and 408).
 * Expected: every acknowledged put is readable with its value, every acknowledged increment is counted exactly
 * once, and every unknown outcome is answered with a documented code (504 from the node, 408 when the node serving
 * the request died) and settled by the retry.
 *
 * <p>Behind {@code -Dsoak=true} (at soak scale): every build's fault campaign seed makes the same promises about the same
 * writes across a kill (its {@code cache-puts} and {@code cache-increments} checkers), so this scenario left the default
 * build to keep it under 15 minutes.
 */
@EnabledIfSystemProperty(named = "soak", matches = "true")
class KillDuringCacheWritesIT {

  private static final int PUTS = Soak.scale(3_000, 10_000);
  private static final int INCREMENTS = Soak.scale(1_500, 5_000);
  private static final int COUNTERS = 8;
  private static final long SEND_TIMEOUT_MS = 5_000;
  /** Below the send timeout, so a node that cannot settle an update answers 504 itself. */
  private static final long UPDATE_TIMEOUT_MS = 3_000;

  @Test
  void every_acknowledged_write_is_readable_and_every_acknowledged_increment_counts_once() throws Exception {
    Map<String, String> env = Map.of(
      "STEWARD_MODULES", "http,cache",
      "STEWARD_CACHE_CACHES", "{\"data\": {}, \"counters\": {}}",
      // A retried increment must still be recognised after the other increments of its key in between
      // (docs/cache.md: size rememberedUpdates to the update rate of a key times the retry delay).
      "STEWARD_CACHE_REMEMBERED_UPDATES", "4000");
    try (Rig rig = Rig.start(KillDuringCacheWritesIT.class, 3, env)) {
      long deadline = System.currentTimeMillis() + 240_000;
      boolean[] putAcked = new boolean[PUTS];
      AtomicInteger putsAcked = new AtomicInteger();
      Map<Integer, Integer> putGaveUp = new ConcurrentHashMap<>();
      AtomicLongArray counted = new AtomicLongArray(COUNTERS);
      AtomicInteger incrementsAcked = new AtomicInteger();
      AtomicInteger duplicates = new AtomicInteger();
      Map<Integer, Integer> incrementGaveUp = new ConcurrentHashMap<>();

      Future<Void> puts = Window.run(PUTS, 32, i -> rig.bus.retried(Addresses.Cache.PUT, new JsonObject().put("cache", "data")
          .put("key", "e" + i).put("value", value(i)), SEND_TIMEOUT_MS, deadline)
        .onSuccess(r -> {
          putAcked[i] = true;
          putsAcked.incrementAndGet();
        })
        .onFailure(err -> putGaveUp.merge(Bus.code(err), 1, Integer::sum)));
      Future<Void> increments = Window.run(INCREMENTS, 16, n -> rig.bus.<JsonObject>retried(Addresses.Cache.UPDATE,
          new JsonObject().put("cache", "counters").put("key", "c" + (n % COUNTERS)).put("increment", 1)
            .put("opId", "inc-" + n).put("timeoutMs", UPDATE_TIMEOUT_MS), SEND_TIMEOUT_MS, deadline)
        .onSuccess(r -> {
          counted.incrementAndGet(n % COUNTERS);
          incrementsAcked.incrementAndGet();
          if (r.getBoolean("duplicate")) {
            duplicates.incrementAndGet();
          }
        })
        .onFailure(err -> incrementGaveUp.merge(Bus.code(err), 1, Integer::sum)));

      NodeProcess victim = rig.nodes.get(2);
      rig.cluster.await("40 % of the puts acknowledged", 120_000, () -> putsAcked.get() >= PUTS * 4 / 10);
      int putsBeforeKill = putsAcked.get();
      int incrementsBeforeKill = incrementsAcked.get();
      victim.kill();
      long killedAt = System.currentTimeMillis();
      Future.join(puts, increments).await(300, TimeUnit.SECONDS);
      long writesDoneMs = System.currentTimeMillis() - killedAt;
      Map<Integer, Long> codesDuringWrites = rig.bus.codes();
      long retries = rig.bus.retries();

      // Read back every acknowledged entry, and every counter.
      CacheReadback.Entries read = CacheReadback.entries(rig, PUTS, i -> putAcked[i], KillDuringCacheWritesIT::value);
      int lost = read.lost();
      int wrong = read.wrong();
      CacheReadback.Counters counters = CacheReadback.counters(rig, counted);
      long countedTotal = counters.acknowledged();
      long storedTotal = counters.stored();
      int counterMismatches = counters.mismatches();

      Verdict v = Verdict.of("kill-during-cache-writes")
        .figure("puts", PUTS)
        .figure("acknowledged", putsAcked.get())
        .figure("acknowledged before the kill", putsBeforeKill)
        .figure("entries lost", lost)
        .figure("wrong values", wrong)
        .figure("increments", INCREMENTS)
        .figure("acknowledged increments", incrementsAcked.get())
        .figure("before the kill", incrementsBeforeKill)
        .figure("counted", storedTotal)
        .figure("increments lost or doubled", storedTotal - countedTotal)
        .figure("retries answered as duplicates", duplicates.get())
        .figure("failed tries by code", codesDuringWrites)
        .figure("retries", retries)
        .figure("kill to last write ms", writesDoneMs);
      v.check(lost == 0, lost + " acknowledged entries not readable")
        .check(wrong == 0, wrong + " acknowledged entries with another value")
        .check(counterMismatches == 0, "counters differ from the acknowledged increments by " + (storedTotal - countedTotal))
        .check(putGaveUp.isEmpty(), "puts that never succeeded, by last code: " + putGaveUp)
        .check(incrementGaveUp.isEmpty(), "increments that never succeeded, by last code: " + incrementGaveUp)
        .check(codesDuringWrites.keySet().stream().allMatch(Bus::retryableCode),
          "failures with codes that are not documented as retryable: " + codesDuringWrites)
        .check(rig.allHealthy(), "a survivor is not healthy");
      NodeLogs.check(v, rig.nodes);
      assertThat(v.report()).as("failed checks of the verdict (line above)").isEmpty();
    }
  }

  private static JsonObject value(int i) {
    return new JsonObject().put("i", i).put("text", "entry " + i);
  }
}
