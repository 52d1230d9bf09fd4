package io.steward.bench;

import io.steward.bus.Addresses;
import io.steward.node.StewardNode;
import io.steward.schedule.BenchHooks;
import io.steward.testing.FreePorts;
import io.vertx.core.Future;
import io.vertx.core.Promise;
import io.vertx.core.Vertx;
import io.vertx.core.VerticleBase;
import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import org.quartz.CronExpression;
import org.quartz.Job;
import org.quartz.JobBuilder;
import org.quartz.JobExecutionContext;
import org.quartz.Scheduler;
import org.quartz.SimpleScheduleBuilder;
import org.quartz.TriggerBuilder;
import org.quartz.impl.StdSchedulerFactory;

import java.lang.management.ManagementFactory;
import java.util.ArrayList;
import java.util.Date;
import java.util.List;
import java.util.Properties;
import java.util.TimeZone;
import java.util.UUID;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;

/**
 * {@code mvn -B -q -Pbench verify -Dbench=schedule}. One run, this machine:
 * <ol>
 *   <li>fire lateness p50/p99 and CPU for 20k and 100k interval jobs (period 1 s, phases spread over the
 *       second) on one Steward node, beside Quartz (RAMJobStore, same jobs and start times, as many threads as
 *       Steward has scheduler instances, its job sending the same message). Lateness is measured the same way
 *       for both, from the same clock: when the action's message is sent (the start of the action: an outbound
 *       interceptor, inline on the sending thread) and, second, when it arrives at the receiver;</li>
 *   <li>claims/s of the cluster-once claim on a two-node cluster, on its own;</li>
 *   <li>cron next-fire computations/s, beside Quartz's CronExpression.</li>
 * </ol>
 * Options (JVM system properties, passed with {@code -Dbench.jvm="..."}): {@code schedule.bench.sizes=20000},
 * {@code schedule.bench.only=lateness} (any of cron, lateness, claims), {@code schedule.bench.noquartz=true};
 * e.g. {@code -Dbench.jvm="-Dschedule.bench.sizes=20000 -Dschedule.bench.only=lateness -Xlog:gc"}.
 */
final class ScheduleBench {

  static final int INSTANCES = 2;
  static final String SINK = "bench.sink";
  static final String TICK_HEADER = "steward-schedule-tick";
  private static int[] sizes = {20_000, 100_000};
  static final long WARMUP_MS = 8_000;
  static final long WINDOW_MS = 10_000;

  private ScheduleBench() {
  }

  static void main() throws Exception {
    if (System.getProperty("schedule.bench.sizes") != null) {
      sizes = java.util.Arrays.stream(System.getProperty("schedule.bench.sizes").split(",")).mapToInt(Integer::parseInt).toArray();
    }
    System.out.println("schedule benchmark (shared 2-core machine: figures are noisy; compare the same-run ratios)");
    String only = System.getProperty("schedule.bench.only", "cron,lateness,claims");
    if (only.contains("cron")) {
      cron();
    }
    if (only.contains("lateness")) {
      lateness();
    }
    if (only.contains("claims")) {
      claims();
    }
  }

  private static void lateness() throws Exception {
    for (int jobs : sizes) {
      Result steward = steward(jobs);
      Result quartz = System.getProperty("schedule.bench.noquartz") != null ? Result.NONE : quartz(jobs);
      System.out.print(String.format("schedule: %,d interval jobs (1 s), lateness at the action's start: Steward p50 %.2f ms p99 %.2f ms max %.0f ms,"
          + " %,d fires/s, CPU %.0f%% of one core | Quartz p50 %.2f ms p99 %.2f ms max %.0f ms, %,d fires/s, CPU %.0f%% | p99 Quartz/Steward %.2fx"
          + "; at the receiver: Steward p50 %.2f ms p99 %.2f ms | Quartz p50 %.2f ms p99 %.2f ms%n",
        jobs, steward.p50, steward.p99, steward.max, steward.firesPerSecond, steward.cpu, quartz.p50, quartz.p99, quartz.max,
        quartz.firesPerSecond, quartz.cpu, quartz.p99 / Math.max(0.01, steward.p99), steward.arrivedP50, steward.arrivedP99,
        quartz.arrivedP50, quartz.arrivedP99));
      System.out.flush();
    }
  }

  /** Lateness samples of fires whose scheduled time falls in a window. */
  static final class Recorder {
    final long[] samples;
    final AtomicInteger n = new AtomicInteger();
    volatile long from = Long.MAX_VALUE;
    volatile long to = Long.MAX_VALUE;

    Recorder(int capacity) {
      samples = new long[capacity];
    }

    /** Records how late (µs, negative if early) a fire scheduled at {@code scheduledMs} arrived. */
    void record(long scheduledMs) {
      if (scheduledMs >= from && scheduledMs < to) {
        java.time.Instant now = java.time.Instant.now();
        long lateUs = (now.getEpochSecond() * 1_000_000L + now.getNano() / 1_000) - scheduledMs * 1_000;
        int i = n.getAndIncrement();
        if (i < samples.length) {
          samples[i] = lateUs;
        }
      }
    }

    Stats stats() {
      int count = Math.min(n.get(), samples.length);
      long[] copy = new long[count];
      System.arraycopy(samples, 0, copy, 0, count);
      return Stats.of(copy);
    }
  }

  /** Lateness at the action's start (p50, p99, max) and where its message arrives (arrivedP50, arrivedP99). */
  record Result(double p50, double p99, double max, long firesPerSecond, double cpu, double probeP99, double probeMax,
                double arrivedP50, double arrivedP99) {
    static final Result NONE = new Result(0, 0, 0, 0, 0, 0, 0, 0, 0);

    @Override
    public String toString() {
      return String.format("at the action's start p50 %.2f ms p99 %.2f ms max %.0f ms; at the receiver p50 %.2f ms p99 %.2f ms; "
        + "%,d fires/s, CPU %.0f%% of one core (machine stall probe: p99 %.1f ms, max %.0f ms)", p50, p99, max, arrivedP50,
        arrivedP99, firesPerSecond, cpu, probeP99, probeMax);
    }
  }

  /** How late a thread that sleeps 1 ms wakes up: the stalls the machine imposes on this JVM, whatever it runs. */
  static final class Probe extends Thread {
    final long[] samples = new long[200_000];
    int n;
    volatile boolean stop;

    Probe() {
      super("stall-probe");
      setDaemon(true);
    }

    @Override
    public void run() {
      while (!stop && n < samples.length) {
        long t0 = System.nanoTime();
        try {
          Thread.sleep(1);
        } catch (InterruptedException e) {
          return;
        }
        samples[n++] = (System.nanoTime() - t0) / 1_000_000 - 1;
      }
    }

    Stats stats() {
      long[] copy = new long[n];
      System.arraycopy(samples, 0, copy, 0, n);
      return Stats.of(copy);
    }
  }

  private static long cpuNanos() {
    return ((com.sun.management.OperatingSystemMXBean) ManagementFactory.getOperatingSystemMXBean()).getProcessCpuTime();
  }

  /**
   * Measures both ends of the same fires: {@code started} when the action sends its message (the scheduler's
   * lateness, what the goals are about), {@code arrived} when the receiver gets it (adds the event-bus hop).
   */
  private static Result measure(Recorder started, Recorder arrived, long windowStart) throws InterruptedException {
    for (Recorder r : List.of(started, arrived)) {
      r.from = windowStart;
      r.to = windowStart + WINDOW_MS;
    }
    long wait = windowStart - System.currentTimeMillis();
    if (wait > 0) {
      Thread.sleep(wait);
    }
    long cpu0 = cpuNanos();
    long t0 = System.nanoTime();
    Probe probe = new Probe();
    probe.start();
    Thread.sleep(WINDOW_MS);
    probe.stop = true;
    long cpu = cpuNanos() - cpu0;
    long wall = System.nanoTime() - t0;
    probe.join();
    Stats stalls = probe.stats();
    Thread.sleep(2_000); // late fires of the window still count
    Stats s = started.stats();
    Stats a = arrived.stats();
    int count = Math.min(started.n.get(), started.samples.length);
    return new Result(s.median() / 1_000, s.p(99) / 1_000, s.max() / 1_000, count * 1_000L / WINDOW_MS, 100.0 * cpu / wall,
      stalls.p(99), stalls.max(), a.median() / 1_000, a.p(99) / 1_000);
  }

  /**
   * Records each message to the receiver when it is sent, on the sending thread (an outbound interceptor runs
   * inline in the send): the start of the action, for Steward and Quartz alike.
   */
  private static void onSend(Vertx vertx, Recorder started) {
    vertx.eventBus().addOutboundInterceptor(ctx -> {
      if (SINK.equals(ctx.message().address())) {
        started.record(Long.parseLong(ctx.message().headers().get(TICK_HEADER)));
      }
      ctx.next();
    });
  }

  // ---- Steward -----------------------------------------------------------------------------------------------

  /** A one-node cluster (its own name and ports) running {@code modules}. */
  private static StewardNode node(List<String> modules) throws Exception {
    String cluster = "bench-schedule-" + UUID.randomUUID().toString().substring(0, 8);
    int port = FreePorts.block(4);
    JsonObject config = new JsonObject()
      .put("modules", new JsonArray(new ArrayList<>(modules)))
      // The scheduler is measured, not the store (StoreBench measures that): memory only, like Quartz's RAMJobStore.
      .put("store", new JsonObject().put("kind", "none"))
      .put("cluster", new JsonObject().put("name", cluster).put("port", port)
        .put("members", new JsonArray().add("127.0.0.1:" + port)))
      .put("schedule", new JsonObject().put("instances", INSTANCES).put("maxJobs", 200_000)
        .mergeIn(new JsonObject(System.getProperty("schedule.bench.config", "{}"))));
    return StewardNode.start(config).await(2, TimeUnit.MINUTES);
  }

  /** The action's receiver: two consumers on their own event loops (one alone cannot take 100k messages/s here). */
  private static void sink(Vertx vertx, Recorder recorder) throws Exception {
    vertx.deployVerticle(() -> new VerticleBase() {
      @Override
      public Future<?> start() {
        return vertx.eventBus().consumer(SINK, m -> recorder.record(Long.parseLong(m.headers().get(TICK_HEADER)))).completion();
      }
    }, new io.vertx.core.DeploymentOptions().setInstances(2)).await(10, TimeUnit.SECONDS);
  }

  private static void stop(StewardNode node) {
    try {
      node.stop(10_000).await(2, TimeUnit.MINUTES);
    } catch (Exception e) {
      System.out.println("  (the benchmark node did not stop cleanly: " + e.getMessage() + ")");
    }
  }

  private static Result steward(int jobs) throws Exception {
    StewardNode node = node(List.of("schedule"));
    try {
      Vertx vertx = node.vertx();
      Recorder started = new Recorder(jobs * (int) (WINDOW_MS / 1_000) + jobs);
      Recorder recorder = new Recorder(jobs * (int) (WINDOW_MS / 1_000) + jobs);
      onSend(vertx, started);
      sink(vertx, recorder);
      long base = (System.currentTimeMillis() / 1_000 + 2) * 1_000;
      long t0 = System.currentTimeMillis();
      put(vertx, jobs, base).await(10, TimeUnit.MINUTES);
      System.out.printf("  Steward: %,d jobs put in %,d ms%n", jobs, System.currentTimeMillis() - t0);
      Result r = measure(started, recorder, System.currentTimeMillis() + WARMUP_MS);
      System.out.printf("  Steward: %s%n", r);
      return r;
    } finally {
      stop(node);
    }
  }

  /** Puts the jobs over the bus, 256 at a time; phases spread evenly over the second. */
  private static Future<Void> put(Vertx vertx, int jobs, long base) {
    Promise<Void> done = Promise.promise();
    AtomicInteger next = new AtomicInteger();
    AtomicInteger finished = new AtomicInteger();
    Runnable[] one = new Runnable[1];
    one[0] = () -> {
      int i = next.getAndIncrement();
      if (i >= jobs) {
        return;
      }
      long startAt = base + (long) i * 1_000 / jobs;
      JsonObject job = new JsonObject().put("name", "bench-" + i).put("every", "1s").put("startAt", startAt)
        .put("action", new JsonObject().put("type", "send").put("address", SINK).put("reply", false));
      vertx.eventBus().request(Addresses.Schedule.PUT, job).onComplete(ar -> {
        if (ar.failed()) {
          done.tryFail(ar.cause());
          return;
        }
        if (finished.incrementAndGet() == jobs) {
          done.tryComplete();
        } else {
          one[0].run();
        }
      });
    };
    for (int k = 0; k < 256; k++) {
      one[0].run();
    }
    return done.future();
  }

  // ---- Quartz ------------------------------------------------------------------------------------------------

  static volatile Vertx quartzVertx;

  /**
   * Quartz's job does what Steward's action does: the same message, with the same headers, to the same receiver,
   * over the same kind of one-node clustered event bus. Lateness is measured where it arrives, for both.
   */
  public static final class SendJob implements Job {
    @Override
    public void execute(JobExecutionContext context) {
      long tick = context.getScheduledFireTime().getTime();
      quartzVertx.eventBus().send(SINK, new JsonObject(), new io.vertx.core.eventbus.DeliveryOptions()
        .addHeader("steward-schedule-job", context.getJobDetail().getKey().getName())
        .addHeader(TICK_HEADER, Long.toString(tick))
        .addHeader("steward-schedule-node", "quartz"));
    }
  }

  private static Result quartz(int jobs) throws Exception {
    StewardNode node = node(List.of());
    Properties p = new Properties();
    p.setProperty("org.quartz.scheduler.instanceName", "bench-" + jobs);
    p.setProperty("org.quartz.threadPool.threadCount", Integer.toString(INSTANCES));
    p.setProperty("org.quartz.jobStore.class", "org.quartz.simpl.RAMJobStore");
    p.setProperty("org.quartz.scheduler.skipUpdateCheck", "true");
    Scheduler scheduler = new StdSchedulerFactory(p).getScheduler();
    try {
      quartzVertx = node.vertx();
      Recorder started = new Recorder(jobs * (int) (WINDOW_MS / 1_000) + jobs);
      Recorder recorder = new Recorder(jobs * (int) (WINDOW_MS / 1_000) + jobs);
      onSend(node.vertx(), started);
      sink(node.vertx(), recorder);
      long base = (System.currentTimeMillis() / 1_000 + 2) * 1_000;
      long t0 = System.currentTimeMillis();
      for (int i = 0; i < jobs; i++) {
        scheduler.scheduleJob(JobBuilder.newJob(SendJob.class).withIdentity("bench-" + i).build(),
          TriggerBuilder.newTrigger().withIdentity("t" + i).startAt(new Date(base + (long) i * 1_000 / jobs))
            .withSchedule(SimpleScheduleBuilder.simpleSchedule().withIntervalInMilliseconds(1_000).repeatForever()).build());
      }
      scheduler.start();
      System.out.printf("  Quartz: %,d jobs scheduled in %,d ms%n", jobs, System.currentTimeMillis() - t0);
      Result r = measure(started, recorder, System.currentTimeMillis() + WARMUP_MS);
      System.out.printf("  Quartz: %s%n", r);
      return r;
    } finally {
      scheduler.shutdown(false);
      stop(node);
    }
  }

  // ---- cron --------------------------------------------------------------------------------------------------

  private static void cron() throws Exception {
    // {Steward (Spring 5.3 dialect), the same in Quartz's dialect, zone}; the first two are the figures,
    // the rest a mixed set: steps in a range, L, L-n, W, LW, xL, #, a time in the spring gap, several zones' DST.
    String[][] cases = {
      {"0 */5 * * * *", "0 0/5 * * * ?", "Europe/Berlin"},
      {"0 30 9 * * MON-FRI", "0 30 9 ? * MON-FRI", "Europe/Berlin"},
      {"0 */15 9-17 * * MON-FRI", "0 0/15 9-17 ? * MON-FRI", "America/New_York"},
      {"0 0 23 L * ?", "0 0 23 L * ?", "Australia/Sydney"},
      {"0 0 6 L-3 * ?", "0 0 6 L-3 * ?", "Europe/London"},
      {"0 0 6 15W * ?", "0 0 6 15W * ?", "Europe/London"},
      {"0 0 0 LW * ?", "0 0 0 LW * ?", "America/Sao_Paulo"},
      {"0 0 18 ? * 5L", "0 0 18 ? * 6L", "Asia/Tokyo"},
      {"0 0 18 ? * FRI#3", "0 0 18 ? * FRI#3", "Asia/Kolkata"},
      {"0 30 2 * * *", "0 30 2 * * ?", "Europe/Berlin"},
      {"10-50/20 */3 0-6 * * *", "10-50/20 0/3 0-6 * * ?", "America/Los_Angeles"},
    };
    double worst = Double.MAX_VALUE;
    for (String[] c : cases) {
      java.time.ZoneId zone = java.time.ZoneId.of(c[2]);
      double steward = rate(BenchHooks.cron(c[0], zone));
      double quartz = quartzCron(c[1], c[2]);
      worst = Math.min(worst, steward / quartz);
      System.out.printf("schedule: cron next-fire '%s' in %s: Steward %,.0f/s | Quartz CronExpression %,.0f/s | "
        + "ratio %.2fx%n", c[0], c[2], steward, quartz, steward / quartz);
    }
    System.out.printf("schedule: cron next-fire, lowest ratio over %d expressions: %.2fx Quartz%n", cases.length, worst);
  }

  private static double quartzCron(String expr, String zone) throws Exception {
    CronExpression e = new CronExpression(expr);
    e.setTimeZone(TimeZone.getTimeZone(zone));
    long[] none = {0};
    double rate = rate(t -> {
      Date d = e.getNextValidTimeAfter(new Date(t));
      if (d == null) { // Quartz found no next time where there is one: skip a day and go on counting
        none[0]++;
        return t + 86_400_000L;
      }
      return d.getTime();
    });
    if (none[0] > 0) {
      System.out.printf("  (Quartz CronExpression answered 'no next time' %,d times for '%s' in %s, which has one every month)%n",
        none[0], expr, zone);
    }
    return rate;
  }

  /** Chained next-fire computations per second, after a warm-up. */
  private static double rate(java.util.function.LongUnaryOperator next) {
    long start = java.time.Instant.parse("2024-01-01T00:00:00Z").toEpochMilli();
    long t = start;
    for (int i = 0; i < 200_000; i++) {
      t = next.applyAsLong(t);
      if (t > start + 3L * 365 * 86_400_000) {
        t = start;
      }
    }
    long n = 0;
    long t0 = System.nanoTime();
    t = start;
    while (System.nanoTime() - t0 < 2_000_000_000L) {
      for (int i = 0; i < 1_000; i++) {
        t = next.applyAsLong(t);
      }
      n += 1_000;
      if (t > start + 3L * 365 * 86_400_000) {
        t = start;
      }
    }
    if (t == 0) {
      throw new IllegalStateException("unreachable");
    }
    return n * 1e9 / (System.nanoTime() - t0);
  }

  // ---- claims ------------------------------------------------------------------------------------------------

  private static void claims() throws Exception {
    String cluster = "bench-claims-" + UUID.randomUUID().toString().substring(0, 8);
    int port = FreePorts.block(4);
    JsonArray members = new JsonArray().add("127.0.0.1:" + port).add("127.0.0.1:" + (port + 1));
    List<StewardNode> nodes = new ArrayList<>();
    for (int i = 0; i < 2; i++) {
      nodes.add(StewardNode.start(new JsonObject().put("modules", new JsonArray())
        .put("store", new JsonObject().put("kind", "none"))
        .put("cluster", new JsonObject().put("name", cluster).put("port", port).put("members", members))).await(2, TimeUnit.MINUTES));
    }
    try {
      Vertx vertx = nodes.get(0).vertx();
      BenchHooks.claims(vertx, true, 256, 2_000);
      BenchHooks.claims(vertx, false, 256, 2_000);
      double localRate = BenchHooks.claims(vertx, true, 256, 5_000);
      double remoteRate = BenchHooks.claims(vertx, false, 256, 5_000);
      System.out.printf("schedule: cluster-once claims on a two-node cluster (one synchronous backup), 256 in flight: "
        + "%,.0f/s on jobs whose partition lives on the claiming node (how Steward places jobs), %,.0f/s across the "
        + "network%n", localRate, remoteRate);
    } finally {
      for (StewardNode n : nodes) {
        n.stop(5_000).await(2, TimeUnit.MINUTES);
      }
    }
  }
}
