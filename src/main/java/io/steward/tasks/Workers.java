package io.steward.tasks;

import java.util.Collection;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ConcurrentLinkedQueue;
import java.util.concurrent.RejectedExecutionException;
import java.util.concurrent.Semaphore;
import java.util.concurrent.ThreadFactory;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;

/**
 * A supervisor's own pool: up to {@code workers} threads (platform, or virtual on Java 21+) taking tasks from
 * one queue, started when work arrives and gone after a minute idle. Work handed over in a batch wakes at
 * most as many idle threads as it needs, and none while every thread is busy: a wake-up is a system call
 * that costs more than a small task.
 *
 * <p>The JVM cannot kill a thread, so when an attempt is abandoned (timed out, cancelled) while its handler
 * still runs, the pool may grow by one thread to keep {@code workers} usable — up to {@code maxZombies} such
 * replacements; the extra thread leaves when the handler returns. The queue is bounded by the supervisor's
 * admission (its capacity).
 *
 * <p>Priorities: one lock-free FIFO per priority ({@link TaskSpec#MIN_PRIORITY}..{@link TaskSpec#MAX_PRIORITY}).
 * While only the default one holds work (the common case) a thread takes its head, as before; otherwise it takes,
 * of the heads, the attempt with the lowest {@link TaskRecord#order} (queued earliest once each priority step counts
 * as {@code tasks.priorityAgingMs} of waiting: aging, so the lowest priority waits a bounded time). Paused
 * ({@link #pause}), no thread takes work; what runs carries on.
 */
final class Workers {

  private static final long KEEP_ALIVE_MS = 60_000;

  private final String name;
  private final int workers;
  private final int maxZombies;
  private final boolean virtual;
  private final ThreadFactory factory;
  /** The default priority's queue (0), the only one most supervisors ever use. */
  private final ConcurrentLinkedQueue<Runnable> queue = new ConcurrentLinkedQueue<>();
  /** A queue per priority, highest first; {@code bands[MAX_PRIORITY]} is {@link #queue}. */
  @SuppressWarnings("unchecked")
  private final ConcurrentLinkedQueue<Runnable>[] bands = new ConcurrentLinkedQueue[TaskSpec.MAX_PRIORITY - TaskSpec.MIN_PRIORITY + 1];
  /** Work in the queues of other priorities than 0 (counted before it is added, so never below what they hold). */
  private final AtomicInteger prioritized = new AtomicInteger();
  private volatile boolean paused;
  private final AtomicInteger queued = new AtomicInteger();
  /** Threads waiting for work that no hand-over has claimed yet. */
  private final AtomicInteger idle = new AtomicInteger();
  /** One permit per idle thread a hand-over claimed. */
  private final Semaphore wakeups = new Semaphore(0);
  private final AtomicInteger threads = new AtomicInteger();
  private final Set<Thread> alive = ConcurrentHashMap.newKeySet();
  private final AtomicInteger zombies = new AtomicInteger();
  private volatile int target;
  private int replaced;
  private volatile boolean shutdown;

  Workers(String name, int workers, int maxZombies, boolean virtual) {
    this.name = name;
    this.workers = workers;
    this.maxZombies = maxZombies;
    this.target = workers;
    for (int i = 0; i < bands.length; i++) {
      bands[i] = i == TaskSpec.MAX_PRIORITY ? queue : new ConcurrentLinkedQueue<>();
    }
    ThreadFactory v = virtual ? VirtualThreads.factory("steward-task-" + name + "-") : null;
    this.virtual = v != null;
    this.factory = v != null ? v : platform("steward-task-" + name + "-");
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
    offer(r);
    signal(1);
  }

  /** Hands over several tasks with at most one wake-up per idle thread they need. */
  void executeAll(Collection<? extends Runnable> batch) {
    for (Runnable r : batch) {
      offer(r);
    }
    signal(batch.size());
  }

  private void offer(Runnable r) {
    if (shutdown) {
      throw new RejectedExecutionException("supervisor '" + name + "' is stopped");
    }
    int p = priority(r);
    if (p == 0) {
      queue.add(r);
    } else {
      prioritized.incrementAndGet();
      bands[TaskSpec.MAX_PRIORITY - p].add(r);
    }
    queued.incrementAndGet();
  }

  private static int priority(Runnable r) {
    return r instanceof Attempt a ? a.record.spec.priority() : 0;
  }

  private static long order(Runnable r) {
    return r instanceof Attempt a ? a.record.order() : 0;
  }

  /** The next attempt to start: the head of the default queue, or the earliest-ordered head of all (see above). */
  private Runnable poll() {
    if (prioritized.get() == 0) {
      return queue.poll();
    }
    for (;;) {
      ConcurrentLinkedQueue<Runnable> best = null;
      long bestOrder = 0;
      for (ConcurrentLinkedQueue<Runnable> band : bands) { // highest priority first: it wins a tie
        Runnable head = band.peek();
        if (head != null) {
          long o = order(head);
          if (best == null || o < bestOrder) {
            best = band;
            bestOrder = o;
          }
        }
      }
      if (best == null) {
        return null;
      }
      Runnable r = best.poll();
      if (r != null) {
        if (best != queue) {
          prioritized.decrementAndGet();
        }
        return r;
      }
    }
  }

  private boolean empty() {
    if (!queue.isEmpty()) {
      return false;
    }
    if (prioritized.get() == 0) {
      return true;
    }
    for (ConcurrentLinkedQueue<Runnable> band : bands) {
      if (!band.isEmpty()) {
        return false;
      }
    }
    return true;
  }

  /** No thread takes work until {@link #resume}; attempts running carry on. Any thread. */
  void pause() {
    paused = true;
  }

  /** Threads take work again, in order. Any thread. */
  void resume() {
    paused = false;
    signal(Math.max(1, queued.get()));
  }

  boolean paused() {
    return paused;
  }

  /** Wakes up to {@code n} idle threads; starts threads for the rest while the pool is below its size. */
  private void signal(int n) {
    if (paused) {
      return; // resume signals
    }
    int needed = n;
    while (needed > 0) {
      int i = idle.get();
      if (i == 0) {
        break;
      }
      if (idle.compareAndSet(i, i - 1)) {
        wakeups.release();
        needed--;
      }
    }
    while (needed > 0) {
      int t = threads.get();
      if (t >= target) {
        return;
      }
      if (threads.compareAndSet(t, t + 1)) {
        start();
        needed--;
      }
    }
  }

  private void start() {
    try {
      Thread t = factory.newThread(this::loop);
      alive.add(t);
      t.start();
    } catch (RuntimeException | Error e) {
      threads.decrementAndGet();
      throw e;
    }
  }

  private void loop() {
    try {
      while (!shutdown) {
        Runnable r = paused ? null : poll();
        if (r != null) {
          queued.decrementAndGet();
          r.run();
          if (shrink()) {
            return;
          }
          continue;
        }
        if (!awaitWork()) {
          return;
        }
      }
    } finally {
      alive.remove(Thread.currentThread());
    }
  }

  /** Leaves the pool if it holds more threads than it should (a zombie's replacement returned). */
  private boolean shrink() {
    for (;;) {
      int t = threads.get();
      if (t <= target) {
        return false;
      }
      if (threads.compareAndSet(t, t - 1)) {
        return true;
      }
    }
  }

  /** Waits to be handed work; false when this thread should end (idle for a minute, or the pool stops). */
  private boolean awaitWork() {
    idle.incrementAndGet();
    if (!paused && !empty() && unIdle()) {
      return true;
    }
    try {
      if (wakeups.tryAcquire(KEEP_ALIVE_MS, TimeUnit.MILLISECONDS)) {
        return true;
      }
      if (unIdle()) {
        threads.decrementAndGet();
        if (!empty()) {
          signal(1); // work that arrived as this thread decided to leave
        }
        return false;
      }
      wakeups.acquire(); // a hand-over claimed this thread just now: its permit is on the way
      return true;
    } catch (InterruptedException e) {
      // A stop, or a late interrupt meant for an attempt that already ended.
      if (!unIdle()) {
        wakeups.acquireUninterruptibly();
      }
      if (shutdown) {
        threads.decrementAndGet();
        return false;
      }
      return true;
    }
  }

  /** Takes this thread off the idle count unless a hand-over already claimed it. */
  private boolean unIdle() {
    for (;;) {
      int i = idle.get();
      if (i == 0) {
        return false;
      }
      if (idle.compareAndSet(i, i - 1)) {
        return true;
      }
    }
  }

  /** Takes a queued task out (a cancel); false when a thread already took it. */
  boolean remove(Runnable r) {
    int p = priority(r);
    if (bands[TaskSpec.MAX_PRIORITY - p].remove(r)) {
      if (p != 0) {
        prioritized.decrementAndGet();
      }
      queued.decrementAndGet();
      return true;
    }
    return false;
  }

  /**
   * An attempt was abandoned while its handler still runs: counts a zombie and, while fewer than
   * {@code maxZombies} have been replaced, lets the pool hold one more thread. Returns whether it did.
   */
  synchronized boolean abandoned() {
    zombies.incrementAndGet();
    if (replaced >= maxZombies) {
      return false;
    }
    replaced++;
    target = workers + replaced;
    if (queued.get() > 0) {
      signal(1);
    }
    return true;
  }

  /** An abandoned handler returned; its extra thread (if it got one) leaves the pool. */
  synchronized void zombieReturned(boolean replacedSlot) {
    zombies.decrementAndGet();
    if (replacedSlot) {
      replaced--;
      target = workers + replaced;
    }
  }

  int zombies() {
    return zombies.get();
  }

  int queued() {
    return queued.get();
  }

  int threads() {
    return threads.get();
  }

  /** Stops taking work and interrupts what still runs. */
  void shutdownNow() {
    shutdown = true;
    for (Thread t : alive) {
      t.interrupt();
    }
  }
}
