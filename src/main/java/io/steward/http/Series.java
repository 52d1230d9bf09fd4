package io.steward.http;

import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;

import java.time.Clock;
import java.util.ArrayDeque;

/**
 * The last {@link #WINDOW_MS} of this node's samples for the dashboard's charts ({@code GET /metrics/series}): a
 * ring of at most {@code WINDOW_MS / INTERVAL_MS} samples, filled by {@link #tick()} every {@link #INTERVAL_MS}
 * (one HTTP verticle instance of the node owns the timer; every instance serves the route). Bounded in memory
 * whatever the load: older samples fall off.
 */
final class Series {

  static final long INTERVAL_MS = 5_000;
  static final long WINDOW_MS = 15 * 60_000;
  static final int CAPACITY = (int) (WINDOW_MS / INTERVAL_MS);

  private final Sampler sampler;
  private final Clock clock;
  private final ArrayDeque<JsonObject> samples = new ArrayDeque<>(CAPACITY);
  private Object owner;

  Series(Sampler sampler, Clock clock) {
    this.sampler = sampler;
    this.clock = clock;
  }

  /** Whether {@code instance} is the one that runs the timer (the first to ask, until it {@link #release}s). */
  synchronized boolean claim(Object instance) {
    if (owner == null) {
      owner = instance;
    }
    return owner == instance;
  }

  synchronized void release(Object instance) {
    if (owner == instance) {
      owner = null;
    }
  }

  /** Takes a sample now; drops the samples older than the window and, beyond the capacity, the oldest. */
  synchronized void tick() {
    long now = clock.millis();
    JsonObject sample = sampler.sample(now);
    if (sample != null) {
      samples.addLast(sample);
    }
    while (!samples.isEmpty() && (samples.size() > CAPACITY || samples.peekFirst().getLong("t") <= now - WINDOW_MS)) {
      samples.removeFirst();
    }
  }

  /** The samples taken after {@code since} (epoch ms; 0 for all), oldest first, with the interval and window. */
  synchronized JsonObject since(long since) {
    JsonArray out = new JsonArray();
    for (JsonObject s : samples) {
      if (s.getLong("t") > since) {
        out.add(s);
      }
    }
    return new JsonObject().put("intervalMs", INTERVAL_MS).put("windowMs", WINDOW_MS).put("now", clock.millis())
      .put("samples", out);
  }
}
