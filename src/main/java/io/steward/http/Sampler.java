package io.steward.http;

import io.micrometer.core.instrument.Meter;
import io.micrometer.core.instrument.MeterRegistry;
import io.micrometer.core.instrument.Measurement;
import io.micrometer.core.instrument.Statistic;
import io.micrometer.core.instrument.Timer;
import io.micrometer.core.instrument.distribution.CountAtBucket;
import io.micrometer.core.instrument.distribution.HistogramSnapshot;
import io.vertx.core.json.JsonObject;

import java.util.HashMap;
import java.util.Map;
import java.util.TreeMap;
import java.util.concurrent.TimeUnit;

/**
 * Reads this node's Steward meters and turns two readings into one sample for the dashboard's charts: counters
 * become rates per second over the interval since the last reading, gauges are read as they are, and the schedule
 * lateness p50/p99 comes from the histogram buckets that filled during the interval (interpolated inside a bucket,
 * as Prometheus's {@code histogram_quantile} does). The first reading only sets the baseline. Not thread-safe: one
 * timer calls it.
 */
final class Sampler {

  private final MeterRegistry registry;
  /** The cumulative counts of the last reading, by meter name and tags. */
  private Map<String, Double> last;
  private long lastAt;
  private Buckets lastLateness;

  Sampler(MeterRegistry registry) {
    this.registry = registry;
  }

  /** The sample for the interval that ends at {@code now}, or null for the first reading (the baseline). */
  JsonObject sample(long now) {
    Map<String, Double> counts = counters();
    Buckets lateness = lateness();
    Map<String, Double> before = last;
    long since = lastAt;
    Buckets latenessBefore = lastLateness;
    last = counts;
    lastAt = now;
    lastLateness = lateness;
    if (before == null || now <= since) {
      return null;
    }
    double seconds = (now - since) / 1000.0;
    Rates rates = new Rates(counts, before, seconds);

    JsonObject tasks = new JsonObject()
      .put("started", rates.of("steward_tasks_started"))
      .put("succeeded", rates.of("steward_tasks_finished", "state", "succeeded"))
      .put("failed", rates.of("steward_tasks_finished", "state", "failed") + rates.of("steward_tasks_finished", "state", "timed-out")
        + rates.of("steward_tasks_finished", "state", "lost"))
      .put("cancelled", rates.of("steward_tasks_finished", "state", "cancelled"))
      .put("restarted", rates.of("steward_tasks_restarts"))
      .put("deadLetters", rates.of("steward_tasks_dead_letters"));

    JsonObject supervisors = new JsonObject();
    gauges("steward_tasks_queued", "supervisor", "queued", supervisors);
    gauges("steward_tasks_running", "supervisor", "running", supervisors);
    gauges("steward_tasks_capacity", "supervisor", "capacity", supervisors);

    Buckets window = latenessBefore == null || lateness == null ? null : lateness.minus(latenessBefore);
    JsonObject schedule = new JsonObject()
      .put("runs", rates.of("steward_schedule_runs"))
      .put("missed", rates.of("steward_schedule_runs", "outcome", "missed"))
      .put("latenessP50Ms", window == null ? null : window.quantileMs(0.5))
      .put("latenessP99Ms", window == null ? null : window.quantileMs(0.99));

    JsonObject caches = new JsonObject();
    for (String cache : tagValues(counts, "steward_cache_gets", "cache")) {
      double hits = rates.delta("steward_cache_gets", "cache", cache, "result", "hit");
      double gets = rates.delta("steward_cache_gets", "cache", cache);
      caches.put(cache, new JsonObject().put("gets", gets / seconds).put("hitRatio", gets > 0 ? hits / gets : null)
        .put("evictions", rates.of("steward_cache_evictions", "cache", cache)));
    }
    return new JsonObject().put("t", now).put("tasks", tasks).put("supervisors", supervisors).put("schedule", schedule)
      .put("caches", caches);
  }

  /** Every Steward counter's cumulative count, keyed {@code name|tag=value|tag=value} (tags in Micrometer's order). */
  private Map<String, Double> counters() {
    Map<String, Double> counts = new HashMap<>();
    for (Meter meter : registry.getMeters()) {
      Meter.Id id = meter.getId();
      if (!id.getName().startsWith("steward_")
        || id.getType() != Meter.Type.COUNTER) {
        continue;
      }
      double count = 0;
      for (Measurement m : meter.measure()) {
        if (m.getStatistic() == Statistic.COUNT) {
          count += m.getValue();
        }
      }
      StringBuilder key = new StringBuilder(id.getName());
      id.getTagsAsIterable().forEach(t -> key.append('|').append(t.getKey()).append('=').append(t.getValue()));
      counts.put(key.toString(), count);
    }
    return counts;
  }

  /** Puts each gauge's value under {@code into[tagValue][field]}. */
  private void gauges(String name, String tag, String field, JsonObject into) {
    for (Meter meter : registry.find(name).meters()) {
      String value = meter.getId().getTag(tag);
      if (value == null) {
        continue;
      }
      for (Measurement m : meter.measure()) {
        if (m.getStatistic() == Statistic.VALUE && !Double.isNaN(m.getValue())) {
          JsonObject o = into.getJsonObject(value);
          if (o == null) {
            o = new JsonObject();
            into.put(value, o);
          }
          o.put(field, m.getValue());
        }
      }
    }
  }

  private static Iterable<String> tagValues(Map<String, Double> counts, String name, String tag) {
    TreeMap<String, Boolean> values = new TreeMap<>();
    String prefix = "|" + tag + "=";
    for (String key : counts.keySet()) {
      if (key.startsWith(name + "|")) {
        int i = key.indexOf(prefix);
        if (i >= 0) {
          int end = key.indexOf('|', i + 1);
          values.put(key.substring(i + prefix.length(), end < 0 ? key.length() : end), true);
        }
      }
    }
    return values.keySet();
  }

  private Buckets lateness() {
    Timer timer = registry.find("steward_schedule_lateness").timer();
    if (timer == null) {
      return null;
    }
    HistogramSnapshot snapshot = timer.takeSnapshot();
    CountAtBucket[] buckets = snapshot.histogramCounts();
    double[] bounds = new double[buckets.length];
    double[] cumulative = new double[buckets.length];
    for (int i = 0; i < buckets.length; i++) {
      bounds[i] = buckets[i].bucket(TimeUnit.MILLISECONDS);
      cumulative[i] = buckets[i].count();
    }
    return new Buckets(bounds, cumulative, snapshot.count());
  }

  /** Rates per second of counters whose key has the given name and tag pairs (summed over the other tags). */
  private record Rates(Map<String, Double> now, Map<String, Double> before, double seconds) {
    double of(String name, String... tags) {
      return delta(name, tags) / seconds;
    }

    /** How much they grew over the interval. */
    double delta(String name, String... tags) {
      double sum = 0;
      for (Map.Entry<String, Double> e : now.entrySet()) {
        String key = e.getKey();
        if (!key.equals(name) && !key.startsWith(name + "|")) {
          continue;
        }
        boolean match = true;
        for (int i = 0; i < tags.length && match; i += 2) {
          match = (key + "|").contains("|" + tags[i] + "=" + tags[i + 1] + "|");
        }
        if (match) {
          // A counter that went down (a cache's partition moved away) counts as nothing, not as a negative rate.
          sum += Math.max(0, e.getValue() - before.getOrDefault(key, 0.0));
        }
      }
      return sum;
    }
  }

  /** A histogram's cumulative counts at its bucket bounds (milliseconds), and its total count. */
  record Buckets(double[] boundsMs, double[] cumulative, double total) {

    /**
     * What filled between {@code earlier} and this reading, or null when that cannot be told: the buckets changed, or
     * a count went down (a registry whose histograms roll over time windows, the in-memory one that a node uses with
     * {@code metrics.enabled=false}; the node's Prometheus registry keeps them for the node's life).
     */
    Buckets minus(Buckets earlier) {
      if (earlier.cumulative.length != cumulative.length || total < earlier.total) {
        return null;
      }
      double[] c = new double[cumulative.length];
      for (int i = 0; i < c.length; i++) {
        c[i] = cumulative[i] - earlier.cumulative[i];
        if (c[i] < 0) {
          return null;
        }
      }
      return new Buckets(boundsMs, c, total - earlier.total);
    }

    /** The q-quantile in ms, interpolated inside its bucket; the top bound when it lies beyond; null with no data. */
    Double quantileMs(double q) {
      if (total <= 0) {
        return null;
      }
      double rank = q * total;
      double lower = 0;
      double below = 0;
      for (int i = 0; i < boundsMs.length; i++) {
        if (cumulative[i] >= rank) {
          double inBucket = cumulative[i] - below;
          double fraction = inBucket <= 0 ? 1 : (rank - below) / inBucket;
          return lower + (boundsMs[i] - lower) * fraction;
        }
        lower = boundsMs[i];
        below = cumulative[i];
      }
      return boundsMs.length == 0 ? null : boundsMs[boundsMs.length - 1];
    }
  }
}
