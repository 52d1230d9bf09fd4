package io.steward.fanout;

import io.micrometer.core.instrument.Counter;
import io.micrometer.core.instrument.DistributionSummary;
import io.micrometer.core.instrument.Gauge;
import io.micrometer.core.instrument.MeterRegistry;
import io.micrometer.core.instrument.Timer;
import io.steward.bus.StewardException;

import java.time.Duration;
import java.util.EnumMap;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;

/**
 * The fan-outs and gathers running on this node, shared by the module's verticle instances: admits at most
 * {@code fanout.maxRuns} at once (429 beyond), and keeps the meters:
 * {@code steward_fanout_runs_total{kind,outcome}}, {@code steward_fanout_items_total{kind,status}},
 * {@code steward_fanout_active{kind}} and {@code steward_fanout_in_flight{kind}} (requests sent and not yet
 * answered, read from the running state machines when scraped, so the hot path pays nothing), and per finished
 * run its size, {@code steward_fanout_size_items{kind}}, and its duration,
 * {@code steward_fanout_duration_seconds{kind,outcome}} (histograms with a few fixed buckets).
 */
final class Runs {

  /** One running fan-out or gather. */
  interface Running {
    /** {@code run} or {@code gather}. */
    String kind();

    int inFlight();

    /** Its state machine; null until it started sending (a gather lists the nodes first). */
    Aggregation aggregation();

    /** {@link System#nanoTime()} when it was received. */
    long startedNanos();
  }

  /** Histogram buckets: a handful, so each series stays a few lines in /metrics. */
  private static final double[] SIZE_BUCKETS = {1, 10, 100, 1_000, 10_000, 100_000};
  private static final Duration[] DURATION_BUCKETS = {Duration.ofMillis(1), Duration.ofMillis(10), Duration.ofMillis(100),
    Duration.ofSeconds(1), Duration.ofSeconds(10), Duration.ofSeconds(60)};

  static final String RUN = "run";
  static final String GATHER = "gather";

  private final int max;
  private final AtomicInteger count = new AtomicInteger();
  private final Set<Running> active = ConcurrentHashMap.newKeySet();
  private final MeterRegistry registry;
  private final Map<Status, Counter> runItems = new EnumMap<>(Status.class);
  private final Map<Status, Counter> gatherItems = new EnumMap<>(Status.class);
  private final Map<String, DistributionSummary> sizes = new ConcurrentHashMap<>();

  Runs(int max, MeterRegistry registry) {
    this.max = max;
    this.registry = registry;
    for (Status s : Status.values()) {
      if (s != Status.LEFT) {
        runItems.put(s, itemCounter(RUN, s));
      }
      if (s != Status.NOT_SENT && s != Status.ABANDONED) {
        gatherItems.put(s, itemCounter(GATHER, s)); // a gather asks every node at once and waits for all
      }
    }
    for (String kind : new String[] {RUN, GATHER}) {
      Gauge.builder("steward_fanout_active", active, set -> set.stream().filter(r -> r.kind().equals(kind)).count())
        .description("Fan-outs or gathers running on this node").tag("kind", kind).register(registry);
      Gauge.builder("steward_fanout_in_flight", active, set -> set.stream().filter(r -> r.kind().equals(kind))
          .mapToInt(Running::inFlight).sum())
        .description("Requests a running fan-out or gather has sent and not yet had an answer to")
        .tag("kind", kind).register(registry);
      sizes.put(kind, DistributionSummary.builder("steward_fanout_size").baseUnit("items")
        .description("Items of each finished fan-out (nodes asked, for a gather)")
        .serviceLevelObjectives(SIZE_BUCKETS).tag("kind", kind).register(registry));
    }
  }

  private Counter itemCounter(String kind, Status s) {
    return Counter.builder("steward_fanout_items").description("Items of finished fan-outs (nodes of gathers), by final status")
      .tag("kind", kind).tag("status", s.text()).register(registry);
  }

  /** Admits a run, or throws 429 when {@code fanout.maxRuns} are already running. */
  void admit(Running run) {
    if (count.incrementAndGet() > max) {
      count.decrementAndGet();
      throw StewardException.overCapacity(max + " fan-outs and gathers are already running on this node (fanout.maxRuns); "
        + "retry after a backoff, or raise the limit");
    }
    active.add(run);
  }

  /** A run ended (answered or failed): frees its place and counts its items. */
  void finished(Running run) {
    if (active.remove(run)) {
      count.decrementAndGet();
    }
    Aggregation aggregation = run.aggregation();
    if (aggregation == null || !aggregation.decided()) {
      return;
    }
    Outcome outcome = aggregation.outcome();
    Map<Status, Counter> items = run.kind().equals(RUN) ? runItems : gatherItems;
    for (Status s : Status.values()) {
      int n = aggregation.count(s);
      if (n > 0) {
        items.get(s).increment(n);
      }
    }
    Counter.builder("steward_fanout_runs").description("Finished fan-outs and gathers, by outcome")
      .tag("kind", run.kind()).tag("outcome", outcome.text()).register(registry).increment();
    sizes.get(run.kind()).record(aggregation.total());
    Timer.builder("steward_fanout_duration").description("From receiving a fan-out or gather to its answer, by outcome")
      .serviceLevelObjectives(DURATION_BUCKETS).tag("kind", run.kind()).tag("outcome", outcome.text()).register(registry)
      .record(System.nanoTime() - run.startedNanos(), TimeUnit.NANOSECONDS);
  }
}
