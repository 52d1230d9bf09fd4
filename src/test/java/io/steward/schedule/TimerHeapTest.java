package io.steward.schedule;

import org.junit.jupiter.api.Test;

import java.util.ArrayList;
import java.util.List;
import java.util.PriorityQueue;
import java.util.Random;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;

class TimerHeapTest {

  static final class Item extends TimerHeap.Timed {
    final int id;

    Item(int id, long at) {
      this.id = id;
      this.at = at;
    }
  }

  @Test
  void items_come_out_in_time_order_through_adds_removals_and_shrinking() {
    Random random = new Random(18);
    TimerHeap<Item> heap = new TimerHeap<>();
    PriorityQueue<Item> model = new PriorityQueue<>((a, b) -> Long.compare(a.at, b.at));
    List<Item> queued = new ArrayList<>();
    int next = 0;
    for (int round = 0; round < 40_000; round++) {
      int op = random.nextInt(10);
      if (op < 5 || queued.isEmpty()) {
        Item it = new Item(next++, random.nextInt(5_000));
        heap.add(it);
        model.add(it);
        queued.add(it);
      } else if (op < 8) {
        Item polled = heap.poll();
        assertEquals(model.peek().at, polled.at, "round " + round);
        model.remove(polled);
        queued.remove(polled);
      } else {
        Item victim = queued.remove(random.nextInt(queued.size()));
        assertEquals(true, heap.remove(victim));
        model.remove(victim);
        assertEquals(false, heap.remove(victim), "a removed item is no longer queued");
      }
      assertEquals(model.size(), heap.size());
    }
    long last = Long.MIN_VALUE;
    while (heap.size() > 0) {
      Item it = heap.poll();
      assertEquals(true, it.at >= last, "in time order");
      last = it.at;
    }
    assertNull(heap.peek());
  }
}
