package io.steward.http;

import io.micrometer.core.instrument.Counter;
import io.micrometer.core.instrument.FunctionCounter;
import io.micrometer.core.instrument.Gauge;
import io.micrometer.core.instrument.Timer;
import io.micrometer.prometheusmetrics.PrometheusConfig;
import io.micrometer.prometheusmetrics.PrometheusMeterRegistry;
import io.steward.testing.MovableClock;
import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

import java.time.Duration;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicLong;
import java.util.concurrent.atomic.LongAdder;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.within;

/**
 * The dashboard's samples ({@link Series}, {@link Sampler}) on a moved clock, from meters registered as the modules
 * register them, in the node's Prometheus registry.
 */
class SeriesTest {

  static final long T0 = 1_800_000_000_000L;

  private final MovableClock clock = new MovableClock(T0);
  private final PrometheusMeterRegistry registry = new PrometheusMeterRegistry(PrometheusConfig.DEFAULT);
  private final Series series = new Series(new Sampler(registry), clock);
  private final LongAdder started = new LongAdder();
  private final LongAdder succeeded = new LongAdder();
  private final LongAdder failed = new LongAdder();
  private final AtomicLong queued = new AtomicLong();
  private Counter restarts;
  private Timer lateness;
  private Counter missed;
  private Counter hits;
  private Counter misses;

  @BeforeEach
  void meters() {
    // As TaskMeters, Supervisor, RunLog and CacheHandle register them.
    FunctionCounter.builder("steward_tasks_started", started, LongAdder::doubleValue).tag("supervisor", "default").tag("type", "echo")
      .register(registry);
    FunctionCounter.builder("steward_tasks_finished", succeeded, LongAdder::doubleValue).tag("supervisor", "default")
      .tag("type", "echo").tag("state", "succeeded").register(registry);
    FunctionCounter.builder("steward_tasks_finished", failed, LongAdder::doubleValue).tag("supervisor", "default")
      .tag("type", "echo").tag("state", "failed").register(registry);
    restarts = Counter.builder("steward_tasks_restarts").tag("supervisor", "default").tag("type", "echo").tag("reason", "failed")
      .register(registry);
    Gauge.builder("steward_tasks_queued", queued, AtomicLong::doubleValue).tag("supervisor", "default").register(registry);
    Gauge.builder("steward_tasks_capacity", () -> 1_008).tag("supervisor", "default").register(registry);
    lateness = Timer.builder("steward_schedule_lateness").serviceLevelObjectives(Duration.ofMillis(1), Duration.ofMillis(5),
      Duration.ofMillis(20), Duration.ofMillis(100), Duration.ofSeconds(1), Duration.ofSeconds(10)).register(registry);
    missed = Counter.builder("steward_schedule_runs").tag("outcome", "missed").register(registry);
    Counter.builder("steward_schedule_runs").tag("outcome", "succeeded").register(registry);
    hits = Counter.builder("steward_cache_gets").tag("cache", "users").tag("result", "hit").register(registry);
    misses = Counter.builder("steward_cache_gets").tag("cache", "users").tag("result", "miss").register(registry);
  }

  @Test
  void a_burst_of_tasks_shows_as_rates_per_second_in_the_next_sample_and_not_in_the_one_after() {
    series.tick();
    assertThat(samples()).as("the first reading is only the baseline").isEmpty();
    started.add(50);
    succeeded.add(40);
    failed.add(5);
    restarts.increment(10);
    queued.set(7);
    clock.advance(Series.INTERVAL_MS);
    series.tick();
    clock.advance(Series.INTERVAL_MS);
    series.tick();

    JsonArray samples = samples();
    assertThat(samples).hasSize(2);
    JsonObject burst = samples.getJsonObject(0);
    assertThat(burst.getLong("t")).isEqualTo(T0 + Series.INTERVAL_MS);
    JsonObject tasks = burst.getJsonObject("tasks");
    assertThat(tasks.getDouble("started")).isEqualTo(10.0);
    assertThat(tasks.getDouble("succeeded")).isEqualTo(8.0);
    assertThat(tasks.getDouble("failed")).isEqualTo(1.0);
    assertThat(tasks.getDouble("restarted")).isEqualTo(2.0);
    assertThat(burst.getJsonObject("supervisors").getJsonObject("default"))
      .isEqualTo(new JsonObject().put("queued", 7.0).put("capacity", 1008.0));
    assertThat(samples.getJsonObject(1).getJsonObject("tasks").getDouble("started")).as("nothing started since").isZero();
  }

  @Test
  void lateness_quantiles_come_from_the_runs_of_the_interval_only() {
    for (int i = 0; i < 100; i++) {
      lateness.record(5_000, TimeUnit.MILLISECONDS); // before the baseline: not in any sample
    }
    series.tick();
    for (int i = 0; i < 98; i++) {
      lateness.record(3, TimeUnit.MILLISECONDS); // the (1, 5] ms bucket
    }
    lateness.record(50, TimeUnit.MILLISECONDS);
    lateness.record(500, TimeUnit.MILLISECONDS); // the (100, 1000] ms bucket
    missed.increment(2);
    clock.advance(Series.INTERVAL_MS);
    series.tick();
    clock.advance(Series.INTERVAL_MS);
    series.tick();

    JsonObject schedule = samples().getJsonObject(0).getJsonObject("schedule");
    assertThat(schedule.getDouble("latenessP50Ms")).isCloseTo(1 + 4 * 50.0 / 98, within(0.001));
    assertThat(schedule.getDouble("latenessP99Ms")).isCloseTo(100.0, within(0.001)); // the 99th of 100 runs is the top of (20, 100];
    assertThat(schedule.getDouble("missed")).isEqualTo(0.4);
    assertThat(schedule.getDouble("runs")).isEqualTo(0.4);
    JsonObject quiet = samples().getJsonObject(1).getJsonObject("schedule");
    assertThat(quiet.getValue("latenessP50Ms")).as("no runs, no quantile").isNull();
    assertThat(quiet.getDouble("missed")).isZero();
  }

  @Test
  void the_cache_hit_ratio_is_of_the_reads_of_the_interval() {
    hits.increment(1_000);
    series.tick();
    hits.increment(3);
    misses.increment(1);
    clock.advance(Series.INTERVAL_MS);
    series.tick();
    clock.advance(Series.INTERVAL_MS);
    series.tick();

    JsonObject users = samples().getJsonObject(0).getJsonObject("caches").getJsonObject("users");
    assertThat(users.getDouble("hitRatio")).isEqualTo(0.75);
    assertThat(users.getDouble("gets")).isEqualTo(0.8);
    assertThat(samples().getJsonObject(1).getJsonObject("caches").getJsonObject("users").getValue("hitRatio"))
      .as("no reads, no ratio").isNull();
  }

  @Test
  void the_ring_keeps_the_last_fifteen_minutes_and_answers_what_came_after_since() {
    series.tick();
    for (int i = 0; i < Series.CAPACITY + 20; i++) {
      clock.advance(Series.INTERVAL_MS);
      series.tick();
    }
    JsonArray all = samples();
    assertThat(all).hasSize(Series.CAPACITY);
    long now = clock.millis();
    assertThat(all.getJsonObject(0).getLong("t")).isEqualTo(now - Series.WINDOW_MS + Series.INTERVAL_MS);
    assertThat(all.getJsonObject(Series.CAPACITY - 1).getLong("t")).isEqualTo(now);

    JsonArray recent = series.since(now - 2 * Series.INTERVAL_MS).getJsonArray("samples");
    assertThat(recent).hasSize(2);
    assertThat(recent.getJsonObject(0).getLong("t")).isEqualTo(now - Series.INTERVAL_MS);

    // A node that stood still (a long GC, a suspended VM) drops what is now older than the window.
    clock.advance(Series.WINDOW_MS - Series.INTERVAL_MS);
    series.tick();
    assertThat(samples()).extracting(s -> ((JsonObject) s).getLong("t")).containsExactly(now, clock.millis());
  }

  @Test
  void a_counter_that_goes_down_counts_as_nothing_rather_than_a_negative_rate() {
    AtomicLong evicted = new AtomicLong(100);
    FunctionCounter.builder("steward_cache_evictions", evicted, AtomicLong::doubleValue).tag("cache", "users").register(registry);
    hits.increment();
    series.tick();
    evicted.set(40); // Hazelcast's count of a partition that moved away starts again
    hits.increment();
    clock.advance(Series.INTERVAL_MS);
    series.tick();
    evicted.set(65);
    hits.increment();
    clock.advance(Series.INTERVAL_MS);
    series.tick();

    assertThat(samples()).extracting(s -> ((JsonObject) s).getJsonObject("caches").getJsonObject("users").getDouble("evictions"))
      .containsExactly(0.0, 5.0);
  }

  @Test
  void one_instance_owns_the_sampling_timer_until_it_lets_go() {
    Object first = new Object();
    Object second = new Object();
    assertThat(series.claim(first)).isTrue();
    assertThat(series.claim(second)).isFalse();
    assertThat(series.claim(first)).isTrue();
    series.release(second);
    assertThat(series.claim(second)).as("only the owner lets go").isFalse();
    series.release(first);
    assertThat(series.claim(second)).isTrue();
  }

  private JsonArray samples() {
    return series.since(0).getJsonArray("samples");
  }
}
