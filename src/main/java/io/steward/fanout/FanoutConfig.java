package io.steward.fanout;

import io.steward.spi.ConfigException;
import io.steward.spi.Setting;
import io.vertx.core.json.JsonObject;

import java.util.List;

/**
 * The {@code fanout} section. The limits bound what one node holds for fan-outs: at most {@code maxRuns}
 * runs, each with at most {@code maxItems} items whose bodies total at most {@code maxBodyBytes} of JSON.
 */
record FanoutConfig(int maxItems, int maxBodyBytes, int maxConcurrency, int defaultConcurrency, int defaultTimeoutMs,
                    int defaultDeadlineMs, int maxDeadlineMs, int maxRuns, int instances) {

  static final List<Setting> SETTINGS = List.of(
    Setting.integer("fanout.maxItems", 100_000, "Most items (requests) one fan-out may have; more is a 400 naming this limit"),
    Setting.integer("fanout.maxBodyBytes", 16 * 1024 * 1024, "Largest total JSON size of one fan-out's item bodies; more is a 400 naming this limit"),
    Setting.integer("fanout.maxConcurrency", 10_000, "Largest concurrency a fan-out may ask for (requests in flight at once)"),
    Setting.integer("fanout.defaultConcurrency", 32, "Requests in flight at once when a fan-out does not say (concurrency)"),
    Setting.integer("fanout.defaultTimeoutMs", 10_000, "Per-item timeout when a fan-out or gather does not say (timeoutMs)"),
    Setting.integer("fanout.defaultDeadlineMs", 25_000, "Whole fan-out deadline when it does not say (deadlineMs); below the bus's default 30 s send timeout"),
    Setting.integer("fanout.maxDeadlineMs", 600_000, "Largest deadlineMs (and timeoutMs) a fan-out may ask for"),
    Setting.integer("fanout.maxRuns", 64, "Fan-outs and gathers one node runs at once; more are refused with 429"),
    Setting.integer("fanout.instances", 1, "Fan-out verticle instances (event loops running fan-outs)")
  );

  static FanoutConfig from(JsonObject s) {
    FanoutConfig c = new FanoutConfig(s.getInteger("maxItems"), s.getInteger("maxBodyBytes"),
      s.getInteger("maxConcurrency"), s.getInteger("defaultConcurrency"), s.getInteger("defaultTimeoutMs"),
      s.getInteger("defaultDeadlineMs"), s.getInteger("maxDeadlineMs"), s.getInteger("maxRuns"),
      s.getInteger("instances"));
    atLeast("fanout.maxItems", c.maxItems, 1);
    atLeast("fanout.maxBodyBytes", c.maxBodyBytes, 2);
    atLeast("fanout.maxConcurrency", c.maxConcurrency, 1);
    atLeast("fanout.defaultConcurrency", c.defaultConcurrency, 1);
    atLeast("fanout.defaultTimeoutMs", c.defaultTimeoutMs, 1);
    atLeast("fanout.defaultDeadlineMs", c.defaultDeadlineMs, 1);
    atLeast("fanout.maxDeadlineMs", c.maxDeadlineMs, 1);
    atLeast("fanout.maxRuns", c.maxRuns, 1);
    if (c.defaultConcurrency > c.maxConcurrency) {
      throw new ConfigException("fanout.defaultConcurrency", "must not be above fanout.maxConcurrency ("
        + c.maxConcurrency + "), got " + c.defaultConcurrency);
    }
    if (c.defaultDeadlineMs > c.maxDeadlineMs) {
      throw new ConfigException("fanout.defaultDeadlineMs", "must not be above fanout.maxDeadlineMs ("
        + c.maxDeadlineMs + "), got " + c.defaultDeadlineMs);
    }
    if (c.defaultTimeoutMs > c.maxDeadlineMs) {
      throw new ConfigException("fanout.defaultTimeoutMs", "must not be above fanout.maxDeadlineMs ("
        + c.maxDeadlineMs + "), got " + c.defaultTimeoutMs);
    }
    if (c.instances < 1 || c.instances > 64) {
      throw new ConfigException("fanout.instances", "must be between 1 and 64, got " + c.instances);
    }
    return c;
  }

  private static void atLeast(String key, int value, int min) {
    if (value < min) {
      throw new ConfigException(key, "must be at least " + min + ", got " + value);
    }
  }
}
