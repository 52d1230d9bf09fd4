package io.steward.spi;

import java.util.concurrent.TimeUnit;

/**
 * Whether this JVM stalled lately: a GC pause, SIGSTOP, a suspended VM. A member that stalls past failure detection
 * is removed by the others, and when it resumes it still believes it is a member, with the partitions it owned, for
 * up to failure detection more: a write it answers meanwhile is applied to a copy that may lose the merge (campaign
 * seed 2103: a node paused 7 s, with the HTTP requests that reached it queued, applied six increments to its stale
 * copy as it resumed and answered them 200; they were gone after it merged back). A daemon thread beats every
 * {@value #BEAT_MS} ms on the monotonic clock; a gap longer than the threshold makes {@link #recent} name the stall
 * until the hold has passed since it ended, and so does a beat overdue by more than the threshold (the stall may be
 * going on, or the beat thread not yet run since it ended). One per JVM: a stall stops every thread of it.
 */
public final class Stalls {

  private static final long BEAT_MS = 100;
  private static volatile long thresholdNs = Long.MAX_VALUE;
  private static volatile long holdNs;
  private static volatile long lastBeat = System.nanoTime();
  private static volatile long lastStallNs;
  private static volatile long stallEnded = Long.MIN_VALUE;
  private static Thread beater;
  /** Tests drive the beats themselves: the thread's are skipped. */
  private static volatile boolean driven;

  private Stalls() {
  }

  /**
   * Starts watching (once per JVM; a later call changes the settings): a gap over {@code thresholdMs} is a stall,
   * named for {@code holdMs} after it ended.
   */
  public static synchronized void watch(long thresholdMs, long holdMs) {
    thresholdNs = TimeUnit.MILLISECONDS.toNanos(thresholdMs);
    holdNs = TimeUnit.MILLISECONDS.toNanos(holdMs);
    if (beater != null) {
      return;
    }
    lastBeat = System.nanoTime();
    beater = new Thread(Stalls::beat, "steward-stalls");
    beater.setDaemon(true);
    beater.start();
  }

  /** The settings alone, no beating thread (tests drive {@link #beat(long)}). */
  static void configure(long thresholdMs, long holdMs) {
    driven = true;
    thresholdNs = TimeUnit.MILLISECONDS.toNanos(thresholdMs);
    holdNs = TimeUnit.MILLISECONDS.toNanos(holdMs);
  }

  private static void beat() {
    while (true) {
      try {
        Thread.sleep(BEAT_MS); // the beat itself: how late it wakes is what is measured
      } catch (InterruptedException e) {
        return;
      }
      if (!driven) {
        beat(System.nanoTime());
      }
    }
  }

  /** One beat at {@code now} (nanoseconds, monotonic). */
  static void beat(long now) {
    long gap = now - lastBeat;
    if (gap > thresholdNs) {
      lastStallNs = gap;
      stallEnded = now;
    }
    lastBeat = now;
  }

  /** Why this node's view of the cluster may be stale because it stalled lately, or null. */
  public static String recent() {
    return recent(System.nanoTime());
  }

  static String recent(long now) {
    long overdue = now - lastBeat;
    if (overdue > thresholdNs) {
      return "this node has stalled for " + TimeUnit.NANOSECONDS.toMillis(overdue) + " ms (a GC pause, SIGSTOP or a "
        + "suspended VM), so its view of the cluster may be stale";
    }
    long ended = stallEnded;
    if (ended != Long.MIN_VALUE && now - ended < holdNs) {
      return "this node stalled for " + TimeUnit.NANOSECONDS.toMillis(lastStallNs) + " ms " + TimeUnit.NANOSECONDS.toMillis(now - ended)
        + " ms ago (a GC pause, SIGSTOP or a suspended VM; the others may have removed it meanwhile), so its view of the "
        + "cluster may be stale";
    }
    return null;
  }

  /** Tests: forget every stall seen so far. */
  static synchronized void reset() {
    driven = false;
    if (beater == null) {
      thresholdNs = Long.MAX_VALUE; // nothing beats in this JVM: no stall to see
    }
    lastBeat = System.nanoTime();
    stallEnded = Long.MIN_VALUE;
  }
}
