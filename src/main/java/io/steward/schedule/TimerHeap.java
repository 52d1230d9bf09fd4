package io.steward.schedule;

import java.util.Arrays;

/**
 * A binary min-heap of timed items ordered by {@link Timed#at}, each item knowing its index so it can be removed
 * in O(log n). A scheduler instance keeps two (jobs by their next fire time, claimed ticks waiting to fire) and
 * arms a single Vert.x timer for the earliest, instead of one timer per job.
 */
final class TimerHeap<T extends TimerHeap.Timed> {

  /** Something due at {@link #at} (epoch ms). */
  abstract static class Timed {
    long at;
    int heapIndex = -1;
  }

  private Timed[] items = new Timed[64];
  private int size;

  int size() {
    return size;
  }

  @SuppressWarnings("unchecked")
  T peek() {
    return size == 0 ? null : (T) items[0];
  }

  void add(T e) {
    if (e.heapIndex >= 0) {
      throw new IllegalStateException("already queued");
    }
    if (size == items.length) {
      items = Arrays.copyOf(items, size * 2);
    }
    items[size] = e;
    e.heapIndex = size;
    size++;
    up(e.heapIndex);
  }

  T poll() {
    if (size == 0) {
      return null;
    }
    T head = peek();
    removeAt(0);
    return head;
  }

  /** Removes the item if it is queued; returns whether it was. */
  boolean remove(T e) {
    if (e.heapIndex < 0) {
      return false;
    }
    removeAt(e.heapIndex);
    return true;
  }

  private void removeAt(int i) {
    Timed removed = items[i];
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
    Timed e = items[i];
    int start = i;
    while (i > 0) {
      int parent = (i - 1) >>> 1;
      if (items[parent].at <= e.at) {
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
    Timed e = items[i];
    int half = size >>> 1;
    while (i < half) {
      int child = 2 * i + 1;
      int right = child + 1;
      if (right < size && items[right].at < items[child].at) {
        child = right;
      }
      if (e.at <= items[child].at) {
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
