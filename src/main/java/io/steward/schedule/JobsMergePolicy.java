package io.steward.schedule;

/**
 * How the jobs map ({@code steward.schedule.jobs}) heals after a split brain: of the two copies of a job, the one
 * with the higher version wins, whichever side Hazelcast merges into the other. A deleted job is a tombstone with
 * a version of its own ({@link JobRecord#tombstone}), so a delete made on one side outlives the older copy the other
 * side kept, and a job put again after its delete outlives the tombstone. On equal versions a tombstone wins over a
 * job, then the larger stored text, so both directions of a merge give the same answer. Hazelcast's last-update
 * time is not used: it cannot see a delete, and equal-sized sides merge in an order fixed by addresses.
 *
 * <p>Configured by {@link ScheduleModule#configureHazelcast}; public, stateless and {@code DataSerializable}, as
 * Hazelcast requires of a merge policy on every member.
 */
public final class JobsMergePolicy extends NewerWinsMergePolicy<String> {

  private static final long serialVersionUID = 1L;

  public JobsMergePolicy() {
    super(String.class);
  }

  @Override
  boolean newerOf(String merging, String existing) {
    return newer(merging, existing);
  }

  /** Whether stored job text {@code merging} should replace {@code existing}. Unreadable text loses. */
  static boolean newer(String merging, String existing) {
    long va;
    long vb;
    try {
      vb = JobRecord.storedVersion(existing);
    } catch (RuntimeException e) {
      return true;
    }
    try {
      va = JobRecord.storedVersion(merging);
    } catch (RuntimeException e) {
      return false;
    }
    if (va != vb) {
      return va > vb;
    }
    boolean ta = JobRecord.isTombstone(merging);
    boolean tb = JobRecord.isTombstone(existing);
    if (ta != tb) {
      return ta;
    }
    return merging.compareTo(existing) > 0;
  }
}
