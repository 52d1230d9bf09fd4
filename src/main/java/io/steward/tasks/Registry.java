package io.steward.tasks;

import java.util.ArrayList;
import java.util.Collection;
import java.util.List;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.atomic.AtomicLong;
import java.util.concurrent.atomic.AtomicReferenceArray;

/**
 * The tasks this node owns: live ones (bounded by the supervisors' capacities) and the most recent finished
 * ones, at most {@code maxFinished} (a ring: the oldest finished is dropped first) and none older than the
 * retention time ({@link #expire}). Lock-free: workers finish tasks while the event loop looks them up.
 */
final class Registry {

  private final ConcurrentHashMap<String, TaskRecord> live = new ConcurrentHashMap<>();
  private final ConcurrentHashMap<String, TaskRecord> finished = new ConcurrentHashMap<>();
  private final ConcurrentHashMap<String, TaskRecord> keys = new ConcurrentHashMap<>();
  private final AtomicReferenceArray<TaskRecord> ring;
  private final AtomicLong next = new AtomicLong();
  /** Changes whenever the set of live tasks changes (for the cluster-wide record of temporary tasks). */
  private final AtomicLong version = new AtomicLong();

  Registry(int maxFinished) {
    ring = new AtomicReferenceArray<>(maxFinished);
  }

  void addLive(TaskRecord r) {
    live.put(r.id, r);
    if (r.spec.key() != null) {
      keys.put(r.spec.key(), r);
    }
    version.incrementAndGet();
  }

  /** Moves a task from live to finished, dropping the oldest finished one if the ring is full. */
  void finished(TaskRecord r) {
    live.remove(r.id, r);
    if (r.spec.key() != null) {
      keys.remove(r.spec.key(), r);
    }
    version.incrementAndGet();
    keepFinished(r);
  }

  /** Forgets a task that was never accepted after all (its durable record could not be written). */
  void discard(TaskRecord r) {
    live.remove(r.id, r);
    if (r.spec.key() != null) {
      keys.remove(r.spec.key(), r);
    }
    version.incrementAndGet();
  }

  /** Keeps a finished record that never was live here (a lost task of a departed node). */
  void keepFinished(TaskRecord r) {
    int size = ring.length();
    if (size == 0) {
      return;
    }
    finished.put(r.id, r);
    int slot = (int) (next.getAndIncrement() % size);
    TaskRecord old = ring.getAndSet(slot, r);
    if (old != null) {
      finished.remove(old.id, old);
    }
  }

  TaskRecord get(String id) {
    TaskRecord r = live.get(id);
    return r != null ? r : finished.get(id);
  }

  TaskRecord live(String id) {
    return live.get(id);
  }

  /** The live task holding an idempotency key, or null. */
  TaskRecord byKey(String key) {
    return keys.get(key);
  }

  Collection<TaskRecord> live() {
    return live.values();
  }

  Collection<TaskRecord> finished() {
    return finished.values();
  }

  int liveCount() {
    return live.size();
  }

  int finishedCount() {
    return finished.size();
  }

  long version() {
    return version.get();
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
        finished.remove(r.id, r);
      }
    }
  }

  private static long endedAt(TaskRecord r) {
    synchronized (r) {
      return r.endedAt;
    }
  }
}
