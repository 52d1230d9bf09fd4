package io.steward.reliability;

import io.steward.bus.Addresses;
import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;

import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicLongArray;
import java.util.function.IntFunction;
import java.util.function.IntPredicate;

/** Reads back what a cache scenario wrote: entries {@code e<i>} of cache {@code data}, counters {@code c<n>} of {@code counters}. */
final class CacheReadback {

  private static final int BATCH = 500;

  /** Entries lost and entries with another value, among the acknowledged ones. */
  record Entries(int lost, int wrong) {
  }

  /** Counters whose stored value differs from the acknowledged increments, and the sums of both. */
  record Counters(int mismatches, long stored, long acknowledged) {
  }

  private CacheReadback() {
  }

  static Entries entries(Rig rig, int count, IntPredicate acknowledged, IntFunction<JsonObject> value) throws Exception {
    int lost = 0;
    int wrong = 0;
    for (int b = 0; b < count; b += BATCH) {
      JsonArray keys = new JsonArray();
      for (int i = b; i < Math.min(count, b + BATCH); i++) {
        keys.add("e" + i);
      }
      JsonObject entries = rig.bus.<JsonObject>retried(Addresses.Cache.GET_ALL, new JsonObject().put("cache", "data")
        .put("keys", keys), 10_000, System.currentTimeMillis() + 60_000).await(70, TimeUnit.SECONDS).getJsonObject("entries");
      for (int i = b; i < Math.min(count, b + BATCH); i++) {
        if (!acknowledged.test(i)) {
          continue;
        }
        Object v = entries.getValue("e" + i);
        if (v == null) {
          lost++;
        } else if (!value.apply(i).equals(v)) {
          wrong++;
        }
      }
    }
    return new Entries(lost, wrong);
  }

  static Counters counters(Rig rig, AtomicLongArray counted) throws Exception {
    int mismatches = 0;
    long stored = 0;
    long acknowledged = 0;
    for (int c = 0; c < counted.length(); c++) {
      JsonObject got = rig.bus.<JsonObject>retried(Addresses.Cache.GET, new JsonObject().put("cache", "counters")
        .put("key", "c" + c), 10_000, System.currentTimeMillis() + 60_000).await(70, TimeUnit.SECONDS);
      long value = got.getBoolean("found") ? got.getLong("value") : 0;
      stored += value;
      acknowledged += counted.get(c);
      if (value != counted.get(c)) {
        mismatches++;
      }
    }
    return new Counters(mismatches, stored, acknowledged);
  }
}
