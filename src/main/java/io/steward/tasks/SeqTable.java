package io.steward.tasks;

import java.util.concurrent.atomic.AtomicReferenceArray;
import java.util.function.Consumer;

/**
 * A lock-free table of tasks by their counter value ({@link TaskRecord#seq}), for the registry: open addressing
 * from a task's home slot, never more than about half full. A removed task leaves its slot empty (no chains
 * are repaired), so a lookup cannot stop at an empty slot; instead the table remembers the farthest any task
 * was ever placed from its home ({@link #reach}), and a lookup looks at that many slots after the home at most,
 * whatever the table's size. Homes are the counter times an odd stride, so tasks accepted one after the other
 * land on different slots and the reach stays near zero.
 */
final class SeqTable {

  private final AtomicReferenceArray<TaskRecord> slots;
  private final int mask;
  /** The farthest a task was placed from its home; only grows. Written before {@link #place} returns. */
  private volatile int reach;

  /** @param wanted at least twice the tasks it will hold at once; rounded up to a power of two, at most {@code max} */
  SeqTable(long wanted, int max) {
    int size = Integer.highestOneBit((int) Math.min(max, Math.max(64, wanted) - 1)) << 1;
    this.slots = new AtomicReferenceArray<>(Math.min(size, max));
    this.mask = slots.length() - 1;
  }

  int length() {
    return slots.length();
  }

  int homeOf(long seq) {
    return (int) (seq * 17) & mask;
  }

  int spread(int h) {
    return (h ^ (h >>> 16)) & mask;
  }

  /** Takes the first free slot from {@code home} on: the slot, or -1 when the table is full. */
  int place(TaskRecord r, int home) {
    for (int i = 0; i <= mask; i++) {
      int slot = (home + i) & mask;
      if (slots.get(slot) == null && slots.compareAndSet(slot, null, r)) {
        if (i > 0) {
          widen(i);
        }
        return slot;
      }
    }
    return -1;
  }

  private void widen(int distance) {
    synchronized (this) {
      if (distance > reach) {
        reach = distance;
      }
    }
  }

  boolean remove(int slot, TaskRecord r) {
    return slots.compareAndSet(slot, r, null);
  }

  /**
   * The task with counter value {@code seq}, or null, looking at {@code reach + 1} slots at most.
   *
   * @param looked adds the slots looked at to {@code looked[0]}
   */
  TaskRecord find(long seq, int[] looked) {
    int home = homeOf(seq);
    int last = Math.min(reach, mask);
    for (int i = 0; i <= last; i++) {
      TaskRecord t = slots.get((home + i) & mask);
      looked[0]++;
      if (t != null && t.seq == seq) {
        return t;
      }
    }
    return null;
  }

  void forEach(Consumer<TaskRecord> each) {
    for (int i = 0; i <= mask; i++) {
      TaskRecord t = slots.get(i);
      if (t != null) {
        each.accept(t);
      }
    }
  }
}
