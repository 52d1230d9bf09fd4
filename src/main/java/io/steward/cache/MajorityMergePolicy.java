package io.steward.cache;

import com.hazelcast.nio.ObjectDataInput;
import com.hazelcast.nio.ObjectDataOutput;
import com.hazelcast.spi.merge.MergingValue;
import com.hazelcast.spi.merge.SplitBrainMergePolicy;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.util.concurrent.atomic.AtomicLong;
import java.util.concurrent.atomic.LongAdder;

/**
 * How a cache's entries merge after a split brain with {@code cluster.minimumSize}: the copy already there wins (the
 * side merged into: Hazelcast merges the smaller side into the larger, so that is the side that kept the minimum, a
 * tombstone included), the merging side's copy fills a key that side lacks, and it wins too when it was written on top
 * of the copy already there ({@link CacheValue#descendsFrom}: that copy has no write since, so nothing it holds is
 * lost). As Hazelcast's {@code PutIfAbsentMergePolicy}, which it replaces, plus that, plus a count: a key both sides
 * wrote since they parted is a <em>conflict</em>, counted in {@code steward_cache_merge_conflicts} and logged (a WARN at
 * most every 10 s per member). Into a side that kept the minimum those are the other side's writes of the detection
 * window, each answered 504, or the writes of this side it lacks (docs/cache.md#known-limits).
 *
 * <p>Descent matters when the side merged into was itself below the minimum (sides of equal size merge in an order
 * fixed by their addresses): a member X that a side with the minimum removed, holding its copy from before, meets a
 * member of that side left below the minimum by a second fault before X rejoined, and that member merges into X. The
 * writes the other side acknowledged while X was away are on top of X's copy and win (campaign seed 2032's shape).
 * They are lost only when descent is not known: more than {@value CacheValue#LINEAGE} - 1 writes of the key since X's
 * copy, or X's side wrote the key too (each such write answered 504); then it is a conflict and the WARN says so.
 *
 * <p>Set by {@link MapConfigs#of}. Public, with a no-argument constructor, as Hazelcast requires of a merge policy
 * named in a map's configuration; its count is per JVM (one node per JVM outside tests).
 */
public final class MajorityMergePolicy<V, T extends MergingValue<V>> implements SplitBrainMergePolicy<V, T, Object> {

  private static final long serialVersionUID = 1L;
  private static final Logger LOG = LoggerFactory.getLogger(MajorityMergePolicy.class);
  private static final long WARN_EVERY_MS = 10_000;
  private static final LongAdder CONFLICTS = new LongAdder();
  private static final AtomicLong LAST_WARN = new AtomicLong();
  private static final AtomicLong CONFLICTS_AT_LAST_WARN = new AtomicLong();

  public MajorityMergePolicy() {
  }

  /** Keys whose two copies a merge on this JVM found written differently since the sides parted. */
  static long conflicts() {
    return CONFLICTS.sum();
  }

  @Override
  public Object merge(T merging, T existing) {
    if (existing == null) {
      return merging == null ? null : merging.getRawValue();
    }
    if (merging != null && merging.getDeserializedValue() instanceof CacheValue m
        && existing.getDeserializedValue() instanceof CacheValue e) {
      if (m.descendsFrom(e)) {
        // Written on top of this copy, which has nothing since: the writes the other side acknowledged while it kept
        // the minimum (this member removed, or as stale) are kept, and nothing this copy holds is lost.
        return merging.getRawValue();
      }
      if ((m.newerThan(e) || e.newerThan(m)) && !e.descendsFrom(m)) {
        CONFLICTS.increment();
        warn();
      }
    }
    return existing.getRawValue();
  }

  private static void warn() {
    long now = System.currentTimeMillis();
    long last = LAST_WARN.get();
    if (now - last < WARN_EVERY_MS || !LAST_WARN.compareAndSet(last, now)) {
      return;
    }
    long total = CONFLICTS.sum();
    long since = total - CONFLICTS_AT_LAST_WARN.getAndSet(total);
    LOG.warn("Split-brain merge (cluster.minimumSize set): this member kept its own copy of {} cache entr{} that the "
      + "other side had written differently (since its last such warning; more may follow in this merge: "
      + "steward_cache_merge_conflicts_total counts them all, {} so far). Expected when this side kept the "
      + "minimum: the other side's writes of the seconds before it noticed the split were each answered 504. If this "
      + "side had also fallen below the minimum after overlapping faults (a member removed by a side that kept the "
      + "minimum, then that side split again before the member rejoined), acknowledged writes of those keys may be "
      + "lost: read them (docs/cache.md#known-limits)", since, since == 1 ? "y" : "ies", total);
  }

  @Override
  public void writeData(ObjectDataOutput out) {
    // no state
  }

  @Override
  public void readData(ObjectDataInput in) {
    // no state
  }
}
