package io.steward.bench;

import com.github.kagkarlsson.scheduler.Scheduler;
import com.github.kagkarlsson.scheduler.task.helper.OneTimeTask;
import com.github.kagkarlsson.scheduler.task.helper.Tasks;
import com.zaxxer.hikari.HikariConfig;
import com.zaxxer.hikari.HikariDataSource;
import io.steward.bus.Addresses;
import io.steward.node.StewardNode;
import io.steward.tasks.TaskType;
import io.steward.tasks.TaskTypes;
import io.steward.testing.Postgres;
import io.steward.testing.TestCluster;
import io.vertx.core.Vertx;
import io.vertx.core.json.JsonObject;
import org.jobrunr.configuration.JobRunr;
import org.jobrunr.configuration.JobRunrConfiguration;
import org.jobrunr.scheduling.JobScheduler;
import org.jobrunr.server.BackgroundJobServerConfiguration;
import org.jobrunr.storage.StorageProvider;
import org.jobrunr.storage.sql.h2.H2StorageProvider;
import org.jobrunr.storage.sql.postgres.PostgresStorageProvider;
import org.jobrunr.utils.mapper.jackson.JacksonJsonMapper;

import java.nio.file.Files;
import java.nio.file.Path;
import java.sql.Connection;
import java.sql.Statement;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.Semaphore;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicLong;

/**
 * Durable no-op work on Steward beside JobRunr and db-scheduler, in one JVM run, on the same database (H2
 * embedded; PostgreSQL too when {@code test.postgres.url} is set), the same worker count and the same number of
 * tasks: tasks/s submitted (the submit call answered: Steward's {@code request} to {@code steward.tasks.submit}
 * with its {@code {id}}, JobRunr's {@code enqueue}, db-scheduler's {@code schedule}), tasks/s completed (first
 * submit to last start of the no-op), and submit-to-start latency p50/p99 under that burst.
 *
 * <p>{@code mvn -B -q -Pbench verify -Dbench=durable} (options: {@code -Dbench.jvm="-Dbench.durable.tasks=20000
 * -Dbench.durable.workers=2 -Dbench.durable.h2=false -Dtest.postgres.url=jdbc:postgresql://127.0.0.1:PORT/postgres?user=postgres"})
 */
public final class DurableBench {

  private static final int TASKS = Integer.getInteger("bench.durable.tasks", 20_000);
  private static final int WARMUP = Integer.getInteger("bench.durable.warmup", 200);
  private static final int WORKERS = Integer.getInteger("bench.durable.workers", 2);
  /** Steward's submits answered asynchronously: at most this many awaiting their answer. */
  private static final int IN_FLIGHT = 1_000;
  /** Longest wait for one system's tasks to run; what ran by then is what is reported. */
  private static final int MAX_SECONDS = Integer.getInteger("bench.durable.maxSeconds", 120);
  private static final int WARMUP_SECONDS = 90;
  /** JobRunr's smallest supported poll interval (it refuses less). */
  private static final Duration JOBRUNR_POLL = Duration.ofSeconds(5);
  /** db-scheduler's poll interval (default 10 s); submits on this node also wake it (immediate execution). */
  private static final Duration DB_SCHEDULER_POLL = Duration.ofSeconds(1);

  private static volatile long[] submitted = new long[0];
  private static volatile long[] started = new long[0];
  private static final AtomicInteger STARTS = new AtomicInteger();
  private static volatile CountDownLatch done = new CountDownLatch(0);
  private static volatile int offset;

  private DurableBench() {
  }

  /** The no-op of every contender: notes when task {@code i} started. Public: JobRunr calls it by reflection. */
  public static void noop(int i) {
    int k = i - offset;
    if (k >= 0 && k < started.length && started[k] == 0) {
      started[k] = System.nanoTime();
      if (STARTS.incrementAndGet() == started.length) {
        done.countDown();
      }
    }
  }

  record Result(String system, double submittedPerSecond, double completedPerSecond, double p50Ms, double p99Ms,
                int completed) {
  }

  interface Submitter {
    /** Submits task {@code i}; returns when the system acknowledged it (or arranges {@code acked} to run then). */
    void submit(int i, Runnable acked) throws Exception;
  }

  static void main() throws Exception {
    TaskTypes.register(TaskType.of("bench.durable.noop", ctx -> {
      noop(((JsonObject) ctx.payload()).getInteger("i"));
      return null;
    }));
    Path dir = Files.createTempDirectory("durable-bench");
    List<String> lines = new ArrayList<>();
    if (!"false".equals(System.getProperty("bench.durable.h2"))) {
      lines.addAll(runAll("H2 embedded", dir, null));
    }
    String pg = System.getProperty(Postgres.PROPERTY, System.getenv(Postgres.ENV));
    if (pg != null && !pg.isBlank()) {
      lines.addAll(runAll("PostgreSQL", dir, pg));
    }
    System.out.println();
    lines.forEach(System.out::println);
    System.out.println("durable: " + TASKS + " no-op tasks per system after " + WARMUP + " warm-up ones, " + WORKERS
      + " workers each, one submitting thread; JobRunr polls every " + JOBRUNR_POLL.toSeconds() + " s (its minimum), "
      + "db-scheduler every " + DB_SCHEDULER_POLL.toSeconds() + " s with immediate execution; JVM "
      + Runtime.version().feature() + ", " + Runtime.getRuntime().availableProcessors() + " cores (shared machine: "
      + "compare the ratios)");
  }

  private static List<String> runAll(String db, Path dir, String pgAdmin) throws Exception {
    List<Result> results = new ArrayList<>();
    results.add(steward(db, dir, pgAdmin, true));
    results.add(jobrunr(db, dir, pgAdmin));
    results.add(dbScheduler(db, dir, pgAdmin));
    if (pgAdmin == null) {
      results.add(steward(db, dir, null, false)); // the same, memory only: what the store costs
    }
    List<String> lines = new ArrayList<>();
    Result s = results.get(0);
    for (Result r : results) {
      lines.add(String.format("durable [%s] %-19s submitted %,9.0f/s  completed %,9.0f/s  submit->start p50 %,9.1f ms  "
          + "p99 %,9.1f ms  (%d/%d ran)%s", db, r.system, r.submittedPerSecond, r.completedPerSecond, r.p50Ms, r.p99Ms,
        r.completed, TASKS, r == s ? "" : String.format("  | Steward/%s: submitted %.2fx, completed %.2fx, p50 %.3fx, "
          + "p99 %.3fx (latency: below 1 is Steward faster)", r.system, s.submittedPerSecond / r.submittedPerSecond,
          s.completedPerSecond / r.completedPerSecond, s.p50Ms / r.p50Ms, s.p99Ms / r.p99Ms)));
    }
    return lines;
  }

  /** Warm-up, then the measured run; the task indexes of the two never overlap. */
  private static Result measure(String system, String db, Submitter submitter) throws Exception {
    run(submitter, 0, WARMUP, WARMUP_SECONDS);
    Result r = run(submitter, WARMUP, TASKS, MAX_SECONDS);
    Result named = new Result(system, r.submittedPerSecond, r.completedPerSecond, r.p50Ms, r.p99Ms, r.completed);
    System.out.printf("durable [%s] %s: submitted %,.0f/s, completed %,.0f/s, p50 %.1f ms, p99 %.1f ms%n", db, system,
      named.submittedPerSecond, named.completedPerSecond, named.p50Ms, named.p99Ms);
    return named;
  }

  private static Result run(Submitter submitter, int from, int n, int maxSeconds) throws Exception {
    submitted = new long[n];
    started = new long[n];
    STARTS.set(0);
    offset = from;
    done = new CountDownLatch(1);
    AtomicLong lastAck = new AtomicLong();
    AtomicInteger acks = new AtomicInteger();
    CountDownLatch allAcked = new CountDownLatch(1);
    long t0 = System.nanoTime();
    for (int k = 0; k < n; k++) {
      submitted[k] = System.nanoTime();
      submitter.submit(from + k, () -> {
        if (acks.incrementAndGet() == n) {
          lastAck.set(System.nanoTime());
          allAcked.countDown();
        }
      });
    }
    allAcked.await(10, TimeUnit.MINUTES);
    boolean all = false;
    long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(maxSeconds);
    while (!all && System.nanoTime() < deadline) {
      all = done.await(10, TimeUnit.SECONDS);
      if (!all) {
        System.out.printf("durable: %,d of %,d started after %.0f s%n", STARTS.get(), n, (System.nanoTime() - t0) / 1e9);
      }
    }
    long end = 0;
    long[] latencies = new long[n];
    int ran = 0;
    for (int k = 0; k < n; k++) {
      if (started[k] != 0) {
        end = Math.max(end, started[k]);
        latencies[ran++] = (started[k] - submitted[k]) / 1_000;
      }
    }
    Stats stats = Stats.of(java.util.Arrays.copyOf(latencies, ran));
    double submittedRate = n / ((lastAck.get() - t0) / 1e9);
    double completedRate = ran / ((end - t0) / 1e9);
    if (!all) {
      System.out.printf("durable: only %d of %d ran within %d s: the rates count those%n", ran, n, maxSeconds);
    }
    return new Result("", submittedRate, completedRate, stats.p(50) / 1000, stats.p(99) / 1000, ran);
  }

  private static Result steward(String db, Path dir, String pgAdmin, boolean stored) throws Exception {
    JsonObject store = !stored ? new JsonObject().put("kind", "none") : pgAdmin == null
      ? new JsonObject().put("kind", "embedded").put("dir", dir.resolve("steward").toString())
      : new JsonObject().put("kind", "postgres").put("url", Postgres.createDatabase(pgAdmin));
    TestCluster cluster = TestCluster.create(DurableBench.class, 1);
    JsonObject tasks = new JsonObject().put("supervisors", new JsonObject()
      .put("bench", new JsonObject().put("workers", WORKERS).put("maxQueued", 100_000)));
    try {
      StewardNode node = cluster.start(List.of("tasks"), new JsonObject().put("tasks", tasks).put("store", store)
        .put("metrics", new JsonObject().put("vertx", false))).await(120, TimeUnit.SECONDS);
      Vertx vertx = node.vertx();
      Semaphore window = new Semaphore(IN_FLIGHT);
      JsonObject durable = new JsonObject().put("type", "bench.durable.noop").put("supervisor", "bench")
        .put("restart", "transient");
      return measure(stored ? "Steward" : "Steward, store none", db, (i, acked) -> {
        window.acquire();
        vertx.eventBus().request(Addresses.Tasks.SUBMIT, durable.copy().put("payload", new JsonObject().put("i", i)))
          .onComplete(r -> {
            window.release();
            if (r.failed()) {
              System.out.println("durable: Steward refused a submit: " + r.cause());
            }
            acked.run();
          });
      });
    } finally {
      cluster.close();
    }
  }

  private static HikariDataSource dataSource(String db, Path dir, String name, String pgAdmin) throws Exception {
    HikariConfig h = new HikariConfig();
    h.setJdbcUrl(pgAdmin == null ? "jdbc:h2:file:" + dir.resolve(name) : Postgres.createDatabase(pgAdmin));
    h.setMaximumPoolSize(Math.max(4, WORKERS + 2));
    h.setPoolName(name);
    return new HikariDataSource(h);
  }

  private static Result jobrunr(String db, Path dir, String pgAdmin) throws Exception {
    HikariDataSource ds = dataSource(db, dir, "jobrunr", pgAdmin);
    StorageProvider storage = pgAdmin == null ? new H2StorageProvider(ds) : new PostgresStorageProvider(ds);
    JobRunrConfiguration.JobRunrConfigurationResult jr = JobRunr.configure()
      .useJsonMapper(new JacksonJsonMapper())
      .useStorageProvider(storage)
      .useBackgroundJobServer(BackgroundJobServerConfiguration.usingStandardBackgroundJobServerConfiguration()
        .andWorkerCount(WORKERS).andPollInterval(JOBRUNR_POLL))
      .initialize();
    JobScheduler scheduler = jr.getJobScheduler();
    try {
      return measure("JobRunr", db, (i, acked) -> {
        scheduler.enqueue(() -> DurableBench.noop(i));
        acked.run();
      });
    } finally {
      JobRunr.destroy();
      ds.close();
    }
  }

  private static Result dbScheduler(String db, Path dir, String pgAdmin) throws Exception {
    HikariDataSource ds = dataSource(db, dir, "dbscheduler", pgAdmin);
    try (Connection c = ds.getConnection(); Statement st = c.createStatement()) {
      String ts = "timestamp with time zone";
      String bytes = pgAdmin == null ? "blob" : "bytea";
      st.execute("create table scheduled_tasks (task_name varchar(100) not null, task_instance varchar(100) not null, "
        + "task_data " + bytes + ", execution_time " + ts + " not null, picked boolean not null, picked_by varchar(50), "
        + "last_success " + ts + ", last_failure " + ts + ", consecutive_failures int, last_heartbeat " + ts + ", "
        + "version bigint not null, priority smallint, primary key (task_name, task_instance))");
      st.execute("create index execution_time_idx on scheduled_tasks (execution_time)");
      st.execute("create index last_heartbeat_idx on scheduled_tasks (last_heartbeat)");
    }
    OneTimeTask<Integer> task = Tasks.oneTime("bench-noop", Integer.class)
      .execute((instance, ctx) -> noop(instance.getData()));
    Scheduler scheduler = Scheduler.create(ds, task)
      .threads(WORKERS)
      .pollingInterval(DB_SCHEDULER_POLL)
      .enableImmediateExecution()
      .build();
    scheduler.start();
    try {
      return measure("db-scheduler", db, (i, acked) -> {
        scheduler.schedule(task.instance("t" + i, i), Instant.now());
        acked.run();
      });
    } finally {
      scheduler.stop();
      ds.close();
    }
  }
}
