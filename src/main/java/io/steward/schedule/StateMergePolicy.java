package io.steward.schedule;

/**
 * How the job state map ({@code steward-schedule-state}) heals after a split brain: of the two copies of a job's
 * state, the one with the higher claimed tick wins (on a tie, the one updated last; on a full tie, the one already
 * there), whichever side Hazelcast merges into the other. Equal-sized sides merge in an order fixed by the
 * members' addresses, not by freshness, so a policy that keeps the target's copy (put-if-absent) could move a job's
 * high-water mark back to the stale side's, and the scheduler would claim again ticks the other side already fired.
 * The winner's copy comes with its run history and run in progress. A copy that knows of a later delete of the job
 * wins before any of that, so a delete made on one side is not undone by the other side's claims.
 *
 * <p>Configured by {@link ScheduleModule#configureHazelcast}; public with a no-argument constructor and
 * {@code DataSerializable} (no state of its own), as Hazelcast requires of a merge policy on every member.
 */
public final class StateMergePolicy extends NewerWinsMergePolicy<JobState> {

  private static final long serialVersionUID = 1L;

  public StateMergePolicy() {
    super(JobState.class);
  }

  @Override
  boolean newerOf(JobState merging, JobState existing) {
    return newer(merging, existing);
  }

  /**
   * Whether {@code merging} should replace {@code existing}: the later delete of the job first (a side that deleted
   * the job keeps refusing the other side's claims, {@link JobState#bury}), then the higher claimed tick, then the
   * later update.
   */
  static boolean newer(JobState merging, JobState existing) {
    if (merging.buriedVersion != existing.buriedVersion) {
      return merging.buriedVersion > existing.buriedVersion;
    }
    if (merging.lastTick != existing.lastTick) {
      return merging.lastTick > existing.lastTick;
    }
    return merging.updatedAt > existing.updatedAt;
  }
}
