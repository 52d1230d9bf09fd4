package io.steward.store;

import io.steward.bench.Stats;
import io.steward.bus.Addresses;
import io.steward.node.StewardNode;
import io.steward.tasks.TaskType;
import io.steward.tasks.TaskTypes;
import io.steward.testing.Postgres;
import io.steward.testing.TestCluster;
import io.vertx.core.Promise;
import io.vertx.core.Vertx;
import io.vertx.core.json.JsonObject;

import java.io.BufferedReader;
import java.io.InputStreamReader;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicLong;

/**
 * What the store costs (README, Durability), each store beside memory only ({@code store.kind none}) in the same
 * run, one node: the throughput of durable (transient) fire-and-forget tasks, how long the database then takes to
 * catch up with the write-behind queue, the latency of a job {@code put} ({@code steward.schedule.put} requests
 * through the event bus, one at a time), and, for the trade-off, the latency of one synchronous single-row database write: what every
 * {@code put} would wait for with write-through.
 *
 * <p>{@code mvn -B -q -Pbench verify -Dbench=store}. PostgreSQL: the server in {@code TEST_POSTGRES_URL},
 * or one started here with {@code .ci/postgres}.
 */
public final class StoreBench {

  private static final int TASKS = 30_000;
  private static final int WINDOW = 5_000;
  private static final int ROUNDS = 3;
  private static final int PUTS = 10_000;
  private static final int DIRECT_WRITES = 2_000;
  /** A job-like value for the synchronous row writes. */
  private static final String VALUE = new JsonObject().put("cron", "0 */5 * * * ?").put("zone", "Europe/Paris")
    .put("task", new JsonObject().put("type", "echo").put("payload", new JsonObject().put("report", "daily-sales")))
    .put("misfire", "fire-once").put("nextFireAt", 1_800_000_000_000L).put("claimedBy", (String) null).encode();

  private static final AtomicLong DONE = new AtomicLong();
  private static volatile long target;
  private static volatile CountDownLatch finished = new CountDownLatch(0);

  private StoreBench() {
  }

  private record Result(String store, double tasksPerSecond, double drainSeconds, long written, Stats put, Stats direct) {
  }

  public static void main() throws Exception {
    TaskTypes.register(TaskType.of("bench.store.count", ctx -> {
      if (DONE.incrementAndGet() == target) {
        finished.countDown();
      }
      return null;
    }));
    Path tmp = Files.createTempDirectory("steward-store-bench");
    Files.setPosixFilePermissions(tmp, PosixFilePermissions.fromString("rwxr-xr-x")); // the server's user enters it
    String pgDir = null;
    String admin = System.getenv(Postgres.ENV);
    if (admin == null || admin.isBlank()) {
      pgDir = tmp.resolve("postgres").toString();
      admin = startPostgres(pgDir);
    }
    String pgUrl = admin == null ? null : Postgres.createDatabase(admin);
    List<Result> results = new ArrayList<>();
    try {
      // The JVM compiles the shared path (bus, tasks, schedule, Hazelcast) during the first node's run: a pass
      // thrown away, so that memory only, measured first, is not the one that pays for it.
      measure("warm-up (discarded)", new JsonObject().put("kind", "none"));
      results.add(measure("memory", new JsonObject().put("kind", "none")));
      results.add(measure("embedded", new JsonObject().put("kind", "embedded").put("dir", tmp.resolve("h2").toString())));
      if (pgUrl != null) {
        results.add(measure("postgres", new JsonObject().put("kind", "postgres").put("url", pgUrl)
          .put("dir", tmp.resolve("pg-spill").toString())));
      } else {
        System.out.println("store: postgres skipped (no server: set " + Postgres.ENV + " or install Debian's postgresql)");
      }
    } finally {
      if (pgUrl != null) {
        Postgres.dropDatabase(admin, pgUrl);
      }
      if (pgDir != null) {
        new ProcessBuilder(".ci/postgres", "stop", pgDir).inheritIO().start().waitFor(60, TimeUnit.SECONDS);
      }
    }
    Result memory = results.get(0);
    for (Result r : results) {
      System.out.printf("store %-8s: durable tasks %,8.0f/s (%.2fx memory)%s; job put (steward.schedule.put) p50 %5.0f us, "
          + "p99 %6.0f us (%.2fx / %.2fx memory)%s%n",
        r.store, r.tasksPerSecond, r.tasksPerSecond / memory.tasksPerSecond,
        r.written > 0 ? String.format(", database caught up %.1f s after the last task (%,d rows written, ~%,.0f rows/s)",
          r.drainSeconds, r.written, r.written / Math.max(0.001, r.drainSeconds + TASKS * ROUNDS / r.tasksPerSecond)) : "",
        r.put.p(50), r.put.p(99), r.put.p(50) / memory.put.p(50), r.put.p(99) / memory.put.p(99),
        r.direct == null ? "" : String.format("; one synchronous row write (write-through's cost per put) p50 %.0f us, p99 %.0f us",
          r.direct.p(50), r.direct.p(99)));
    }
    System.out.println("store: one node, " + TASKS + " durable tasks per round (" + ROUNDS + " rounds, median), window "
      + WINDOW + "; " + PUTS + " jobs created one after the other with steward.schedule.put requests (after "
      + PUTS / 4 + " to warm up); JVM "
      + Runtime.version().feature() + ", " + Runtime.getRuntime().availableProcessors() + " cores (shared machine: compare "
      + "the ratios)");
  }

  private static Result measure(String name, JsonObject store) throws Exception {
    TestCluster cluster = TestCluster.create(StoreBench.class, 1);
    try {
      StewardNode node = cluster.start(List.of("tasks", "schedule"), new JsonObject().put("store", store)
        .put("tasks", new JsonObject().put("supervisors", new JsonObject()
          .put("bench", new JsonObject().put("workers", 2).put("maxQueued", 100_000))))
        .put("metrics", new JsonObject().put("vertx", false))).await(60, TimeUnit.SECONDS);
      Vertx vertx = node.vertx();
      JsonObject durable = new JsonObject().put("type", "bench.store.count").put("supervisor", "bench").put("restart", "transient");
      throughput(vertx, durable); // warm-up
      double[] rates = new double[ROUNDS];
      for (int r = 0; r < ROUNDS; r++) {
        rates[r] = throughput(vertx, durable);
      }
      Arrays.sort(rates);
      Store s = node.store();
      long t0 = System.nanoTime();
      while (s != null && s.pendingWrites() > 0) {
        Thread.sleep(20); // a benchmark, not a test: polls the write-behind queue until it is empty
      }
      double drain = (System.nanoTime() - t0) / 1e9;
      long written = s == null ? 0 : (long) io.steward.observe.Metrics.registry(vertx).get("steward_store_written").functionCounter().count();

      putJobs(vertx, "warm", PUTS / 4); // warm-up
      Stats puts = putJobs(vertx, "job", PUTS);
      Stats direct = null;
      if (s != null) {
        Database db = s.database();
        long[] us = new long[DIRECT_WRITES];
        for (int i = 0; i < DIRECT_WRITES; i++) {
          Row row = new Row("steward.bench.direct", "direct-" + i, VALUE, null, null, System.currentTimeMillis());
          long d0 = System.nanoTime();
          db.write(List.of(row), (x, e) -> {
          });
          us[i] = (System.nanoTime() - d0) / 1_000;
        }
        direct = Stats.of(us);
      }
      System.out.printf("  %s: durable tasks per round %s/s%n", name, Arrays.toString(Arrays.stream(rates).mapToLong(Math::round).toArray()));
      return new Result(name, rates[ROUNDS / 2], drain, written, puts, direct);
    } finally {
      cluster.close();
    }
  }

  /**
   * {@code n} jobs created one after the other with {@code steward.schedule.put} requests through the event bus,
   * each sent from an event loop when the previous one is answered; the latency of each, microseconds. The jobs
   * fire hourly from a day ahead, so none fires during the benchmark.
   */
  private static Stats putJobs(Vertx vertx, String prefix, int n) throws Exception {
    long[] us = new long[n];
    Promise<Void> done = Promise.promise();
    long startAt = System.currentTimeMillis() + 86_400_000L;
    JsonObject action = new JsonObject().put("type", "send").put("address", "steward.bench.store.sink").put("reply", false);
    Runnable[] one = new Runnable[1];
    int[] i = {0};
    one[0] = () -> {
      JsonObject job = new JsonObject().put("name", prefix + "-" + i[0]).put("every", "1h").put("startAt", startAt)
        .put("misfire", "fire-once").put("action", action.copy().put("body", new JsonObject().put("report", "daily-sales")));
      long t0 = System.nanoTime();
      vertx.eventBus().request(Addresses.Schedule.PUT, job).onComplete(ar -> {
        if (ar.failed()) {
          done.tryFail(ar.cause());
          return;
        }
        us[i[0]] = (System.nanoTime() - t0) / 1_000;
        if (++i[0] == n) {
          done.complete();
        } else {
          one[0].run();
        }
      });
    };
    vertx.runOnContext(v -> one[0].run());
    done.future().await(10, TimeUnit.MINUTES);
    return Stats.of(us);
  }

  /** {@link #TASKS} fire-and-forget submits from an event loop, at most {@link #WINDOW} not yet run; tasks per second. */
  private static double throughput(Vertx vertx, JsonObject body) throws Exception {
    DONE.set(0);
    target = TASKS;
    finished = new CountDownLatch(1);
    AtomicLong sent = new AtomicLong();
    Promise<Void> allSent = Promise.promise();
    long start = System.nanoTime();
    vertx.runOnContext(v -> vertx.setPeriodic(1, id -> {
      long room = Math.min(TASKS - sent.get(), WINDOW - (sent.get() - DONE.get()));
      for (long k = 0; k < room; k++) {
        vertx.eventBus().send(Addresses.Tasks.SUBMIT, body);
      }
      if (sent.addAndGet(Math.max(0, room)) >= TASKS) {
        vertx.cancelTimer(id);
        allSent.complete();
      }
    }));
    allSent.future().await(10, TimeUnit.MINUTES);
    if (!finished.await(10, TimeUnit.MINUTES)) {
      throw new IllegalStateException("durable tasks did not all run");
    }
    return TASKS / ((System.nanoTime() - start) / 1e9);
  }

  /** A throwaway server with {@code .ci/postgres}, or null (and a note) when it cannot start one. */
  private static String startPostgres(String dir) throws Exception {
    Process p = new ProcessBuilder(".ci/postgres", "start", dir).redirectError(ProcessBuilder.Redirect.INHERIT).start();
    String last = null;
    try (BufferedReader r = new BufferedReader(new InputStreamReader(p.getInputStream(), StandardCharsets.UTF_8))) {
      for (String line = r.readLine(); line != null; line = r.readLine()) {
        last = line;
      }
    }
    return p.waitFor() == 0 && last != null && last.startsWith("jdbc:") ? last : null;
  }
}
