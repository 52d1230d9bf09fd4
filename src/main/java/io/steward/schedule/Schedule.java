package io.steward.schedule;

/**
 * When a job's ticks fall. A pure function of time: {@link #next(long)} gives the first tick strictly after
 * an instant (epoch milliseconds), or {@link #NONE} when there is none. Every node computes the same ticks
 * for the same job, which is what makes a claim keyed by (job, tick) meaningful across the cluster.
 */
interface Schedule {

  /** No further tick. */
  long NONE = Long.MAX_VALUE;

  /** The first tick strictly after {@code afterMs}, or {@link #NONE}. */
  long next(long afterMs);

  /** A short description for logs and the API ({@code every 30s}, {@code cron 0 0 * * * * Europe/Berlin}). */
  String describe();
}
