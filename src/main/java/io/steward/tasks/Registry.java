package io.steward.tasks;

import io.vertx.core.Future;

import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.atomic.AtomicLong;
import java.util.concurrent.atomic.AtomicReferenceArray;
import java.util.function.Consumer;

/**
 * The tasks this node owns: live ones (bounded by the supervisors' capacities) and the most recent finished
 * ones, at most {@code maxFinished} (a ring: the oldest finished is dropped first) and none older than the
 * retention time ({@link #expire}). Lock-free: workers finish tasks while event loops accept them.
 *
 * <p>Built for the submit path, which sees hundreds of thousands of temporary tasks a second: a live
 * temporary task takes a slot in a fixed table (open addressing from its id's hash; the table has twice as
 * many slots as the supervisors can hold tasks), and a finished one a place in the ring — no map entry is made
 * or dropped for it, because dropping the entry of a task finished thousands of tasks ago costs cache misses
 * that dominated the whole submit path. A finished temporary task also takes a slot in a second table, by its
 * counter value, for as long as the ring keeps it. Looking a task up by id (get, cancel, await) probes its home
 * slot in each table and the few slots after it ({@link SeqTable}): a few slots whatever the registry holds,
 * also for an id nobody knows. Durable tasks (and lost ones reported here) are kept by id.
 */
final class Registry {

  /** Durable and lost tasks, by id. */
  private final ConcurrentHashMap<String, TaskRecord> indexed = new ConcurrentHashMap<>();
  private final ConcurrentHashMap<String, TaskRecord> keys = new ConcurrentHashMap<>();
  /** Ids bound to an idempotency key whose task is not registered yet (or not refused yet): settled when it is. */
  private final ConcurrentHashMap<String, Future<?>> accepting = new ConcurrentHashMap<>();
  private final SeqTable live;
  private final AtomicReferenceArray<TaskRecord> ring;
  /** The finished temporary tasks the ring holds, by counter value. */
  private final SeqTable finished;
  private final AtomicLong next = new AtomicLong();
  /** Set whenever the set of live temporary tasks changes (for their cluster-wide record); read mostly. */
  private volatile boolean changed;
  private final Consumer<TaskRecord> dropped;
  private final TaskIds ids;

  /**
   * @param capacity the most tasks the supervisors hold at once (their capacities added up)
   * @param dropped  told about each finished task the ring drops (to forget its cluster-wide record)
   */
  Registry(TaskIds ids, int maxFinished, long capacity, Consumer<TaskRecord> dropped) {
    this.ids = ids;
    this.ring = new AtomicReferenceArray<>(maxFinished);
    this.live = new SeqTable(capacity * 2, 1 << 23);
    this.finished = new SeqTable(maxFinished * 2L, 1 << 24);
    this.dropped = dropped;
  }

  void addLive(TaskRecord r) {
    if (r.durable()) {
      r.markIndexed();
      indexed.put(r.id(), r);
    } else {
      place(r);
      changed();
    }
    if (r.spec.key() != null) {
      keys.put(r.spec.key(), r);
    }
  }

  /**
   * Takes the first free slot from the task's home on; the table is never more than half full. A task's home
   * is its counter times an odd stride, so tasks accepted one after the other land on different cache lines.
   */
  private void place(TaskRecord r) {
    int slot = live.place(r, r.seq >= 0 ? live.homeOf(r.seq) : live.spread(r.id().hashCode()));
    if (slot >= 0) {
      r.placedLive(slot);
      return;
    }
    r.markIndexed(); // only with a capacity beyond the table's 8M slots: fall back to the map
    indexed.put(r.id(), r);
  }

  /** A task became final: it stays until the ring drops it (findable all along). */
  void finished(TaskRecord r) {
    if (!r.indexed() && ring.length() > 0) {
      int slot = r.seq >= 0 ? finished.place(r, finished.homeOf(r.seq)) : -1;
      if (slot >= 0) {
        r.placedFinished(slot);
      } else {
        r.markIndexed(); // a task from elsewhere, or a full table: by id
        indexed.put(r.id(), r);
      }
    }
    unlive(r);
    ring(r);
  }

  private void unlive(TaskRecord r) {
    if (r.spec.key() != null) {
      keys.remove(r.spec.key(), r);
    }
    if (r.slot() >= 0) {
      live.remove(r.slot(), r);
      changed();
    }
  }

  /** Forgets a task that was never accepted after all (its durable record could not be written). */
  void discard(TaskRecord r) {
    unlive(r);
    if (r.indexed()) {
      indexed.remove(r.id(), r);
    }
  }

  private void changed() {
    if (!changed) {
      changed = true;
    }
  }

  void markChanged() {
    changed = true;
  }

  /** Whether the live temporary tasks changed since the last call; clears the flag. */
  boolean takeChanged() {
    if (!changed) {
      return false;
    }
    changed = false;
    return true;
  }

  /** Keeps a finished task that never was live here (a lost task of a departed node). */
  void keepFinished(TaskRecord r) {
    r.markIndexed();
    indexed.put(r.id(), r);
    ring(r);
  }

  /** Puts a finished task in the ring, dropping the oldest one if the ring is full. */
  private void ring(TaskRecord r) {
    int size = ring.length();
    if (size == 0) {
      forget(r);
      return;
    }
    int slot = (int) (next.getAndIncrement() % size);
    TaskRecord old = ring.getAndSet(slot, r);
    if (old != null) {
      forget(old);
    }
  }

  private void forget(TaskRecord r) {
    unfile(r);
    dropped.accept(r);
  }

  /** Removes a task the ring no longer holds from where it is found by id. */
  private void unfile(TaskRecord r) {
    if (r.indexed()) {
      indexed.remove(r.id(), r);
    }
    if (r.finishedSlot() >= 0) {
      finished.remove(r.finishedSlot(), r);
    }
  }

  /** Slots looked at by the last {@link #get} on any thread (for tests: a lookup must not scan). */
  int looked;

  TaskRecord get(String id) {
    TaskRecord r = indexed.get(id);
    if (r != null) {
      looked = 0;
      return r;
    }
    long seq = ids.seqOf(id);
    if (seq < 0) {
      looked = 0;
      return null; // not a task this node accepted, and not one it took over
    }
    int[] count = new int[1];
    TaskRecord t = live.find(seq, count);
    if (t == null) {
      t = finished.find(seq, count);
    }
    looked = count[0];
    return t;
  }

  /**
   * Notes an id about to be bound to an idempotency key: until {@code settled} completes (its task registered
   * here, or refused), a lookup of the id waits for it instead of answering "unknown", so another submit of the
   * same key cannot take the key from a task that is about to run.
   */
  void accepting(String id, Future<?> settled) {
    accepting.put(id, settled);
    settled.onComplete(ar -> accepting.remove(id, settled));
  }

  /** The settlement of an id being bound to a key (see {@link #accepting}), or null. Check before {@link #get}. */
  Future<?> acceptingOf(String id) {
    return accepting.get(id);
  }

  /** The live task holding an idempotency key, or null. */
  TaskRecord byKey(String key) {
    return keys.get(key);
  }

  /** Every task kept here, live and finished, each once (callers look at each one's state). */
  List<TaskRecord> all() {
    List<TaskRecord> out = new ArrayList<>(indexed.values());
    live.forEach(out::add);
    for (int i = 0; i < ring.length(); i++) {
      TaskRecord t = ring.get(i);
      if (t != null && !t.indexed()) {
        out.add(t);
      }
    }
    return out;
  }

  /** The live temporary tasks (for their cluster-wide record). */
  List<TaskRecord> liveTemporary() {
    List<TaskRecord> out = new ArrayList<>();
    live.forEach(out::add);
    return out;
  }

  int liveCount() {
    int n = 0;
    for (TaskRecord r : all()) {
      if (!stateOf(r).isFinal()) {
        n++;
      }
    }
    return n;
  }

  int size() {
    return all().size();
  }

  /** Drops finished tasks that ended before {@code before}. */
  void expire(long before) {
    for (int i = 0; i < ring.length(); i++) {
      TaskRecord r = ring.get(i);
      if (r != null && endedAt(r) < before && ring.compareAndSet(i, r, null)) {
        unfile(r);
      }
    }
  }

  private static TaskState stateOf(TaskRecord r) {
    return r.state();
  }

  private static long endedAt(TaskRecord r) {
    return r.endedAt();
  }
}
