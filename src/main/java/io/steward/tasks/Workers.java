package io.steward.tasks;

import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.ThreadFactory;
import java.util.concurrent.ThreadPoolExecutor;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;

/**
 * A supervisor's own thread pool: {@code workers} threads (platform or virtual), idle ones released after a
 * minute. The JVM cannot kill a thread, so when an attempt is abandoned (timed out, cancelled) while its handler
 * still runs, the pool grows by one thread to keep {@code workers} slots usable — up to {@code maxZombies}
 * such replacements; it shrinks back when the handler returns. The queue is bounded by the supervisor's
 * admission (its capacity), so it never grows without bound.
 */
final class Workers {

  private final ThreadPoolExecutor pool;
  private final int workers;
  private final int maxZombies;
  private final boolean virtual;
  private int replaced;
  private final AtomicInteger zombies = new AtomicInteger();

  Workers(String name, int workers, int maxQueued, int maxZombies, boolean virtual) {
    this.workers = workers;
    this.maxZombies = maxZombies;
    ThreadFactory factory = virtual ? VirtualThreads.factory("steward-task-" + name + "-") : null;
    this.virtual = factory != null;
    if (factory == null) {
      factory = platform("steward-task-" + name + "-");
    }
    // Room for every admitted task (restarts re-enter the queue) plus a margin; admission keeps it below this.
    int queueBound = (int) Math.min(Integer.MAX_VALUE, (long) workers + maxQueued + 16);
    pool = new ThreadPoolExecutor(workers, workers, 60, TimeUnit.SECONDS, new LinkedBlockingQueue<>(queueBound), factory);
    pool.allowCoreThreadTimeOut(true);
  }

  private static ThreadFactory platform(String prefix) {
    AtomicInteger n = new AtomicInteger();
    return r -> {
      Thread t = new Thread(r, prefix + n.getAndIncrement());
      t.setDaemon(true);
      return t;
    };
  }

  boolean virtual() {
    return virtual;
  }

  void execute(Runnable r) {
    pool.execute(r);
  }

  /** Takes a queued runnable out (a cancel); false when a worker already took it. */
  boolean remove(Runnable r) {
    return pool.remove(r);
  }

  /**
   * An attempt was abandoned while its handler still runs: counts a zombie and, while fewer than
   * {@code maxZombies} have been replaced, adds a thread so its slot is free again. Returns whether it did.
   */
  synchronized boolean abandoned() {
    zombies.incrementAndGet();
    if (replaced >= maxZombies) {
      return false;
    }
    replaced++;
    pool.setMaximumPoolSize(workers + replaced);
    pool.setCorePoolSize(workers + replaced);
    return true;
  }

  /** An abandoned handler returned; its extra thread (if it got one) leaves the pool when idle. */
  synchronized void zombieReturned(boolean replacedSlot) {
    zombies.decrementAndGet();
    if (replacedSlot) {
      replaced--;
      pool.setCorePoolSize(workers + replaced);
      pool.setMaximumPoolSize(workers + replaced);
    }
  }

  int zombies() {
    return zombies.get();
  }

  int queued() {
    return pool.getQueue().size();
  }

  int threads() {
    return pool.getPoolSize();
  }

  /** No new work; queued and running work continues. */
  void shutdown() {
    pool.shutdown();
  }

  /** Interrupts what still runs. */
  void shutdownNow() {
    pool.shutdownNow();
  }
}
