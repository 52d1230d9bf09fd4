package io.steward.bench;

import io.steward.node.StewardNode;
import io.steward.tasks.TaskType;
import io.steward.tasks.TaskTypes;
import io.steward.testing.FreePorts;
import io.vertx.core.eventbus.DeliveryOptions;
import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import org.quartz.Job;
import org.quartz.JobBuilder;
import org.quartz.JobExecutionContext;
import org.quartz.Scheduler;
import org.quartz.SimpleScheduleBuilder;
import org.quartz.TriggerBuilder;
import org.quartz.impl.StdSchedulerFactory;

import java.util.ArrayList;
import java.util.Date;
import java.util.List;
import java.util.Properties;
import java.util.UUID;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;

/**
 * Delayed one-off tasks: {@code mvn -B -o -q -Pbench verify -Dbench=delayed}. {@code delayed.bench.tasks} (100 000)
 * tasks are submitted with a {@code runAt} spread evenly over a {@code delayed.bench.windowMs} (20 s) window that
 * starts once they can all be pending ({@code delayed.bench.leadMs}, 30 s, after the first submit); lateness is how
 * long after its {@code runAt} each task's handler started (p50, p99, max), beside Quartz in the same run: the same
 * number of one-off jobs (simple triggers, no repeat) at the same times in a RAMJobStore, with as many threads as the
 * supervisor has workers, its lateness measured the same way in the job (fire time to {@code execute}).
 */
final class DelayedBench {

  private static final int TASKS = Integer.getInteger("delayed.bench.tasks", 100_000);
  private static final long LEAD_MS = Long.getLong("delayed.bench.leadMs", 30_000);
  private static final long WINDOW_MS = Long.getLong("delayed.bench.windowMs", 20_000);
  private static final int WORKERS = 16;
  private static final int IN_FLIGHT = 2_000;

  /** Lateness samples in µs; a handler records how late it started against the due time in its payload. */
  static final class Samples {
    final long[] us;
    final AtomicInteger n = new AtomicInteger();
    final CountDownLatch done;

    Samples(int count) {
      us = new long[count];
      done = new CountDownLatch(count);
    }

    void record(long dueMs) {
      java.time.Instant now = java.time.Instant.now();
      long late = now.getEpochSecond() * 1_000_000L + now.getNano() / 1_000 - dueMs * 1_000;
      int i = n.getAndIncrement();
      if (i < us.length) {
        us[i] = late;
      }
      done.countDown();
    }

    Stats stats() {
      int count = Math.min(n.get(), us.length);
      long[] copy = new long[count];
      System.arraycopy(us, 0, copy, 0, count);
      return Stats.of(copy);
    }
  }

  static volatile Samples current;

  private DelayedBench() {
  }

  static void main() throws Exception {
    System.out.printf("delayed: %,d one-off tasks due evenly over %,d ms, submitted ahead (lead %,d ms), %d workers%n",
      TASKS, WINDOW_MS, LEAD_MS, WORKERS);
    Stats steward = steward();
    Stats quartz = quartz();
    System.out.printf("delayed: lateness at %,d pending: Steward p50 %.2f ms p99 %.2f ms max %.1f ms | Quartz (simple "
        + "triggers, RAMJobStore) p50 %.2f ms p99 %.2f ms max %.1f ms | p99 Quartz/Steward %.2fx%n", TASKS,
      steward.p(50) / 1_000, steward.p(99) / 1_000, steward.max() / 1_000, quartz.p(50) / 1_000, quartz.p(99) / 1_000,
      quartz.max() / 1_000, quartz.p(99) / Math.max(1, steward.p(99)));
  }

  private static Stats steward() throws Exception {
    TaskTypes.register(TaskType.of("bench.delayed", ctx -> {
      current.record(((JsonObject) ctx.payload()).getLong("due"));
      return null;
    }));
    String cluster = "bench-delayed-" + UUID.randomUUID().toString().substring(0, 8);
    int port = FreePorts.block(4);
    StewardNode node = StewardNode.start(new JsonObject()
      .put("modules", new JsonArray().add("tasks"))
      .put("store", new JsonObject().put("kind", "none"))
      .put("cluster", new JsonObject().put("name", cluster).put("port", port).put("members", new JsonArray().add("127.0.0.1:" + port)))
      .put("tasks", new JsonObject().put("maxFinished", 1_000).put("supervisors", new JsonObject().put("default",
        new JsonObject().put("workers", WORKERS).put("maxQueued", TASKS + 1_000))))).await(2, TimeUnit.MINUTES);
    try {
      Samples samples = new Samples(TASKS);
      current = samples;
      long base = System.currentTimeMillis() + LEAD_MS;
      long t0 = System.currentTimeMillis();
      submitAll(node, base);
      long submitted = System.currentTimeMillis();
      System.out.printf("  Steward: %,d delayed tasks submitted in %,d ms (%,.0f/s); %,d ms before the first is due%n",
        TASKS, submitted - t0, TASKS * 1_000.0 / Math.max(1, submitted - t0), base - submitted);
      if (!samples.done.await(LEAD_MS + WINDOW_MS + 120_000, TimeUnit.MILLISECONDS)) {
        System.out.printf("  Steward: only %,d of %,d ran%n", samples.n.get(), TASKS);
      }
      Stats s = samples.stats();
      System.out.printf("  Steward: p50 %.2f ms p99 %.2f ms max %.1f ms (%,d tasks)%n", s.p(50) / 1_000, s.p(99) / 1_000,
        s.max() / 1_000, samples.n.get());
      return s;
    } finally {
      node.stop(5_000).await(1, TimeUnit.MINUTES);
    }
  }

  private static long due(long base, int i) {
    return base + (long) i * WINDOW_MS / TASKS;
  }

  /** Submits every task, {@link #IN_FLIGHT} requests at a time. */
  private static void submitAll(StewardNode node, long base) throws Exception {
    AtomicInteger next = new AtomicInteger();
    CountDownLatch all = new CountDownLatch(TASKS);
    AtomicInteger failed = new AtomicInteger();
    DeliveryOptions options = new DeliveryOptions().setLocalOnly(true).setSendTimeout(60_000);
    List<Runnable> starters = new ArrayList<>();
    Runnable[] one = new Runnable[1];
    one[0] = () -> {
      int i = next.getAndIncrement();
      if (i >= TASKS) {
        return;
      }
      long due = due(base, i);
      node.vertx().eventBus().request("steward.tasks.submit", new JsonObject().put("type", "bench.delayed")
        .put("payload", new JsonObject().put("due", due)).put("runAt", due), options).onComplete(ar -> {
          if (ar.failed() && failed.getAndIncrement() == 0) {
            System.out.printf("  Steward: a submit failed: %s%n", ar.cause().getMessage());
          }
          all.countDown();
          one[0].run();
        });
    };
    for (int k = 0; k < IN_FLIGHT; k++) {
      starters.add(one[0]);
    }
    node.vertx().runOnContext(v -> starters.forEach(Runnable::run));
    if (!all.await(5, TimeUnit.MINUTES) || failed.get() > 0) {
      throw new IllegalStateException(failed.get() + " submits failed");
    }
  }

  /** Quartz's one-off job: records how late it started against its trigger's fire time. */
  public static final class LateJob implements Job {
    @Override
    public void execute(JobExecutionContext context) {
      current.record(context.getScheduledFireTime().getTime());
    }
  }

  private static Stats quartz() throws Exception {
    Properties p = new Properties();
    p.setProperty("org.quartz.scheduler.instanceName", "bench-delayed");
    p.setProperty("org.quartz.threadPool.threadCount", Integer.toString(WORKERS));
    p.setProperty("org.quartz.jobStore.class", "org.quartz.simpl.RAMJobStore");
    p.setProperty("org.quartz.scheduler.skipUpdateCheck", "true");
    Scheduler scheduler = new StdSchedulerFactory(p).getScheduler();
    try {
      Samples samples = new Samples(TASKS);
      current = samples;
      long base = System.currentTimeMillis() + LEAD_MS;
      long t0 = System.currentTimeMillis();
      for (int i = 0; i < TASKS; i++) {
        scheduler.scheduleJob(JobBuilder.newJob(LateJob.class).withIdentity("d" + i).build(),
          TriggerBuilder.newTrigger().withIdentity("t" + i).startAt(new Date(due(base, i)))
            .withSchedule(SimpleScheduleBuilder.simpleSchedule().withRepeatCount(0)).build());
      }
      scheduler.start();
      long scheduled = System.currentTimeMillis();
      System.out.printf("  Quartz: %,d one-off jobs scheduled in %,d ms; %,d ms before the first is due%n", TASKS,
        scheduled - t0, base - scheduled);
      if (!samples.done.await(LEAD_MS + WINDOW_MS + 120_000, TimeUnit.MILLISECONDS)) {
        System.out.printf("  Quartz: only %,d of %,d ran%n", samples.n.get(), TASKS);
      }
      Stats s = samples.stats();
      System.out.printf("  Quartz: p50 %.2f ms p99 %.2f ms max %.1f ms (%,d jobs)%n", s.p(50) / 1_000, s.p(99) / 1_000,
        s.max() / 1_000, samples.n.get());
      return s;
    } finally {
      scheduler.shutdown(false);
    }
  }
}
