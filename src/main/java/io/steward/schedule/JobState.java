package io.steward.schedule;

import com.hazelcast.nio.ObjectDataInput;
import com.hazelcast.nio.ObjectDataOutput;
import com.hazelcast.nio.serialization.DataSerializable;

import java.io.IOException;
import java.util.Arrays;

/**
 * The cluster state of one job in {@code steward.schedule.state}: the highest tick claimed so far, the run in
 * progress, and the job's recent runs (its history). One entry per job, held in object form where the job's key
 * lives, so the entry processors below work on it without deserializing it.
 *
 * <p>The claim: the highest tick claimed so far and the run in progress. A claim for tick T succeeds only if T is above the highest claimed tick, and raises
 * it to T, in one step on the partition that owns the job (an entry processor, with a synchronous backup).
 * The high-water mark makes the claim idempotent and fenced by time itself: whichever node claims a tick fires
 * it, and a node that comes back with stale timers can only lose claims for ticks already passed.
 *
 * <p>The logic here is pure (tests drive it without Hazelcast); public only for Hazelcast's serialization.
 */
final class JobState implements DataSerializable {

  public static final long NONE = Long.MIN_VALUE;
  private static final long[] EMPTY = new long[0];

  long lastTick = NONE;
  long runningTick = NONE;
  String runningNode;
  long runningUntil;
  long[] queue = EMPTY;
  long updatedAt;
  RunHistory history = new RunHistory();
  /**
   * The version of the job's latest delete (its tombstone's), {@link #NONE} if never deleted: a claim made for a
   * version of the job at or below it is lost, whatever its tick ({@link #bury}).
   */
  long buriedVersion = NONE;
  /** The highest job version a claim was made for: a late delete of an older version leaves a newer job's state alone. */
  long claimedVersion = NONE;

  public JobState() {
  }

  /** One claim: see {@link ClaimTick}. {@code version} is the version of the job the claiming node holds. */
  record Claim(long tick, String node, long now, boolean miss, Overlap overlap, long runUntil, int queueLimit, long version) {
  }

  /**
   * The job was deleted at {@code version} (its tombstone's): from now on every claim for a version of the job at or
   * below it is lost, so that no node fires the job after its delete is answered, even one that has not yet heard of
   * the delete (the jobs map's events reach each node asynchronously, seconds late while a member is being
   * removed). The claims, the run in progress, the queue and the history of the deleted job go; a job created
   * again under the name (at a higher version) starts from a clean state.
   */
  void bury(long version, long now) {
    if (buriedVersion != NONE && buriedVersion >= version) {
      return;
    }
    buriedVersion = version;
    if (claimedVersion != NONE && claimedVersion > version) {
      return; // the job was created again and claimed since: its state stays
    }
    lastTick = NONE;
    runningTick = NONE;
    runningNode = null;
    runningUntil = 0;
    queue = EMPTY;
    updatedAt = now;
    history = new RunHistory();
  }

  long buriedVersion() {
    return buriedVersion;
  }

  /**
   * Decides a claim and updates this state. {@code runUntil} is when the run counts as over if nobody says
   * so (now + the action's timeout); 0 for fire-and-forget actions, which are over when sent.
   */
  ClaimResult claim(Claim c) {
    if (buriedVersion != NONE && c.version() <= buriedVersion) {
      return new ClaimResult(ClaimResult.Kind.LOST, c.tick(), lastTick); // the job was deleted: nobody fires it
    }
    if (lastTick != NONE && c.tick() <= lastTick) {
      return new ClaimResult(ClaimResult.Kind.LOST, c.tick(), lastTick);
    }
    claimedVersion = Math.max(claimedVersion, c.version());
    long previous = lastTick;
    lastTick = c.tick();
    updatedAt = c.now();
    if (c.miss()) {
      return new ClaimResult(ClaimResult.Kind.MISSED, c.tick(), previous);
    }
    boolean busy = runningTick != NONE && runningUntil > c.now();
    if (c.overlap() == Overlap.ALLOW) {
      return won(c.tick(), c, previous);
    }
    if (busy) {
      if (c.overlap() == Overlap.QUEUE && queue.length < c.queueLimit()) {
        queue = append(queue, c.tick());
        return new ClaimResult(ClaimResult.Kind.QUEUED, c.tick(), previous);
      }
      return new ClaimResult(ClaimResult.Kind.SKIPPED, c.tick(), previous);
    }
    long run = c.tick();
    if (c.overlap() == Overlap.QUEUE && queue.length > 0) {
      // The previous run is over (or timed out): the oldest waiting tick goes first, this one waits.
      run = queue[0];
      queue = Arrays.copyOfRange(queue, 1, queue.length);
      if (queue.length < c.queueLimit()) {
        queue = append(queue, c.tick());
      }
    }
    return won(run, c, previous);
  }

  private ClaimResult won(long run, Claim c, long previous) {
    if (c.runUntil() > 0) {
      runningTick = run;
      runningNode = c.node();
      runningUntil = c.runUntil();
    } else {
      runningTick = NONE;
      runningNode = null;
      runningUntil = 0;
    }
    return new ClaimResult(ClaimResult.Kind.WON, run, previous);
  }

  /**
   * The run of {@code tick} on {@code node} ended. Returns the next queued tick, now running on the same node
   * until {@code nextRunUntil}, or {@link #NONE}.
   */
  long finish(long tick, String node, long now, long nextRunUntil) {
    if (runningTick != tick || !node.equals(runningNode)) {
      return NONE;
    }
    updatedAt = now;
    if (queue.length > 0) {
      long next = queue[0];
      queue = Arrays.copyOfRange(queue, 1, queue.length);
      runningTick = next;
      runningUntil = nextRunUntil;
      return next;
    }
    runningTick = NONE;
    runningNode = null;
    runningUntil = 0;
    return NONE;
  }

  long lastTick() {
    return lastTick;
  }

  RunHistory history() {
    return history;
  }

  int queued() {
    return queue.length;
  }

  private static long[] append(long[] a, long v) {
    long[] out = Arrays.copyOf(a, a.length + 1);
    out[a.length] = v;
    return out;
  }

  @Override
  public void writeData(ObjectDataOutput out) throws IOException {
    out.writeLong(lastTick);
    out.writeLong(runningTick);
    out.writeString(runningNode);
    out.writeLong(runningUntil);
    out.writeLongArray(queue);
    out.writeLong(updatedAt);
    out.writeLong(buriedVersion);
    out.writeLong(claimedVersion);
    history.writeData(out);
  }

  @Override
  public void readData(ObjectDataInput in) throws IOException {
    lastTick = in.readLong();
    runningTick = in.readLong();
    runningNode = in.readString();
    runningUntil = in.readLong();
    queue = in.readLongArray();
    updatedAt = in.readLong();
    buriedVersion = in.readLong();
    claimedVersion = in.readLong();
    history = new RunHistory();
    history.readData(in);
  }
}
