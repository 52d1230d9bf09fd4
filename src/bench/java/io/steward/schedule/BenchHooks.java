package io.steward.schedule;

import com.hazelcast.core.HazelcastInstance;
import com.hazelcast.map.IMap;
import io.steward.spi.Cluster;
import io.vertx.core.Vertx;

import java.time.ZoneId;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.Semaphore;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicLong;
import java.util.function.LongUnaryOperator;

/** The schedule module's internals, for {@code io.steward.bench.ScheduleBench} only. */
public final class BenchHooks {

  private BenchHooks() {
  }

  /** Steward's cron next-fire function. */
  public static LongUnaryOperator cron(String expression, ZoneId zone) {
    CronSchedule s = CronSchedule.parse(expression, zone);
    return s::next;
  }

  /**
   * Claims ticks of 10 000 jobs with the module's entry processor, {@code inFlight} at a time, for {@code ms};
   * returns claims per second. {@code local}: jobs whose key this node's partitions hold (how Steward places
   * cluster-once jobs); otherwise jobs held by another member.
   */
  public static double claims(Vertx vertx, boolean local, int inFlight, long ms) throws Exception {
    HazelcastInstance hz = Cluster.hazelcast(vertx);
    ScheduleNode.configureStateMap(vertx, hz).await(30, TimeUnit.SECONDS);
    IMap<String, JobState> map = hz.getMap(ScheduleNode.STATE);
    List<String> keys = new ArrayList<>();
    for (int i = 0; keys.size() < 10_000; i++) {
      String k = "bench-claim-" + i;
      if (hz.getPartitionService().getPartition(k).getOwner().localMember() == local) {
        keys.add(k);
      }
    }
    String node = Cluster.nodeId(vertx);
    Semaphore window = new Semaphore(inFlight);
    AtomicLong done = new AtomicLong();
    long tick = System.currentTimeMillis() * 1_000;
    long end = System.nanoTime() + TimeUnit.MILLISECONDS.toNanos(ms);
    long t0 = System.nanoTime();
    long n = 0;
    while (System.nanoTime() < end) {
      window.acquire();
      String key = keys.get((int) (n % keys.size()));
      long t = tick + n++;
      // As ScheduleNode claims with other data members: one confirmed operation per claim.
      io.steward.spi.HazelcastInternals.submitToKeyConfirmed(map, key,
          new ClaimTick(new JobState.Claim(t, node, t, false, Overlap.SKIP, 0, 10, 1), List.of(), 20), Runnable::run)
        .whenComplete((r, err) -> {
          done.incrementAndGet();
          window.release();
        });
    }
    window.acquire(inFlight);
    long elapsed = System.nanoTime() - t0;
    window.release(inFlight);
    return done.get() * 1e9 / elapsed;
  }
}
