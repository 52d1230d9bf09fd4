package io.steward.schedule;

import java.util.Arrays;

/**
 * A binary min-heap of scheduled jobs ordered by fire time, with each entry knowing its index so it can be
 * removed or moved in O(log n). One per scheduler instance (one event loop): a single Vert.x timer is armed for
 * the head, instead of one timer per job.
 */
final class TimerHeap {

  private Scheduler.Entry[] items = new Scheduler.Entry[64];
  private int size;

  int size() {
    return size;
  }

  Scheduler.Entry peek() {
    return size == 0 ? null : items[0];
  }

  void add(Scheduler.Entry e) {
    if (e.heapIndex >= 0) {
      throw new IllegalStateException("already queued: " + e.name());
    }
    if (size == items.length) {
      items = Arrays.copyOf(items, size * 2);
    }
    items[size] = e;
    e.heapIndex = size;
    size++;
    up(e.heapIndex);
  }

  Scheduler.Entry poll() {
    if (size == 0) {
      return null;
    }
    Scheduler.Entry head = items[0];
    removeAt(0);
    return head;
  }

  /** Removes the entry if it is queued; returns whether it was. */
  boolean remove(Scheduler.Entry e) {
    if (e.heapIndex < 0) {
      return false;
    }
    removeAt(e.heapIndex);
    return true;
  }

  private void removeAt(int i) {
    Scheduler.Entry removed = items[i];
    size--;
    if (i != size) {
      items[i] = items[size];
      items[i].heapIndex = i;
      items[size] = null;
      if (!up(i)) {
        down(i);
      }
    } else {
      items[size] = null;
    }
    removed.heapIndex = -1;
    if (items.length > 64 && size < items.length / 4) {
      items = Arrays.copyOf(items, items.length / 2);
    }
  }

  private boolean up(int i) {
    Scheduler.Entry e = items[i];
    int start = i;
    while (i > 0) {
      int parent = (i - 1) >>> 1;
      if (items[parent].fireAt <= e.fireAt) {
        break;
      }
      items[i] = items[parent];
      items[i].heapIndex = i;
      i = parent;
    }
    items[i] = e;
    e.heapIndex = i;
    return i != start;
  }

  private void down(int i) {
    Scheduler.Entry e = items[i];
    int half = size >>> 1;
    while (i < half) {
      int child = 2 * i + 1;
      int right = child + 1;
      if (right < size && items[right].fireAt < items[child].fireAt) {
        child = right;
      }
      if (e.fireAt <= items[child].fireAt) {
        break;
      }
      items[i] = items[child];
      items[i].heapIndex = i;
      i = child;
    }
    items[i] = e;
    e.heapIndex = i;
  }
}
