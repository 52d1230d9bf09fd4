package io.steward.tasks;

import java.util.ArrayList;
import java.util.Collection;
import java.util.List;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.atomic.AtomicLong;
import java.util.concurrent.atomic.AtomicReferenceArray;
import java.util.function.Consumer;

/**
 * The tasks this node owns, by id: live ones (bounded by the supervisors' capacities) and the most recent
 * finished ones, at most {@code maxFinished} (a ring: the oldest finished is dropped first) and none older
 * than the retention time ({@link #expire}). One map for both, so finishing a task moves nothing; lock-free,
 * because workers finish tasks while the event loop accepts and looks them up.
 */
final class Registry {

  private final ConcurrentHashMap<String, TaskRecord> tasks = new ConcurrentHashMap<>();
  private final ConcurrentHashMap<String, TaskRecord> keys = new ConcurrentHashMap<>();
  private final AtomicReferenceArray<TaskRecord> ring;
  private final AtomicLong next = new AtomicLong();
  /** Set whenever the set of live temporary tasks changes (for their cluster-wide record); read mostly. */
  private volatile boolean changed;
  private final Consumer<TaskRecord> dropped;

  /** @param dropped told about each finished task the ring drops (to forget its cluster-wide record) */
  Registry(int maxFinished, Consumer<TaskRecord> dropped) {
    ring = new AtomicReferenceArray<>(maxFinished);
    this.dropped = dropped;
  }

  void addLive(TaskRecord r) {
    tasks.put(r.id, r);
    if (r.spec.key() != null) {
      keys.put(r.spec.key(), r);
    }
    changed(r);
  }

  /** A task became final: it stays until the ring drops it. */
  void finished(TaskRecord r) {
    if (r.spec.key() != null) {
      keys.remove(r.spec.key(), r);
    }
    changed(r);
    ring(r);
  }

  /** Forgets a task that was never accepted after all (its durable record could not be written). */
  void discard(TaskRecord r) {
    tasks.remove(r.id, r);
    if (r.spec.key() != null) {
      keys.remove(r.spec.key(), r);
    }
    changed(r);
  }

  private void changed(TaskRecord r) {
    if (!changed && !r.durable()) {
      changed = true;
    }
  }

  /** Keeps a finished task that never was live here (a lost task of a departed node). */
  void keepFinished(TaskRecord r) {
    tasks.put(r.id, r);
    ring(r);
  }

  /** Puts a finished task in the ring, dropping the oldest one if the ring is full. */
  private void ring(TaskRecord r) {
    int size = ring.length();
    if (size == 0) {
      tasks.remove(r.id, r);
      dropped.accept(r);
      return;
    }
    int slot = (int) (next.getAndIncrement() % size);
    TaskRecord old = ring.getAndSet(slot, r);
    if (old != null) {
      tasks.remove(old.id, old);
      dropped.accept(old);
    }
  }

  TaskRecord get(String id) {
    return tasks.get(id);
  }

  /** The live task holding an idempotency key, or null. */
  TaskRecord byKey(String key) {
    return keys.get(key);
  }

  /** Every task kept here, live and finished (callers look at each one's state). */
  Collection<TaskRecord> all() {
    return tasks.values();
  }

  int liveCount() {
    int n = 0;
    for (TaskRecord r : tasks.values()) {
      if (!stateOf(r).isFinal()) {
        n++;
      }
    }
    return n;
  }

  int size() {
    return tasks.size();
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

  /** Drops finished tasks that ended before {@code before}. */
  void expire(long before) {
    List<Integer> slots = new ArrayList<>();
    for (int i = 0; i < ring.length(); i++) {
      TaskRecord r = ring.get(i);
      if (r != null && endedAt(r) < before) {
        slots.add(i);
      }
    }
    for (int i : slots) {
      TaskRecord r = ring.get(i);
      if (r != null && endedAt(r) < before && ring.compareAndSet(i, r, null)) {
        tasks.remove(r.id, r);
      }
    }
  }

  private static TaskState stateOf(TaskRecord r) {
    synchronized (r) {
      return r.state;
    }
  }

  private static long endedAt(TaskRecord r) {
    synchronized (r) {
      return r.endedAt;
    }
  }
}
