package io.steward.tasks;

import org.junit.jupiter.api.Test;

import java.util.HashSet;
import java.util.Set;
import java.util.UUID;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * Campaign seed 1004 (long campaign of 2026-12-07, on the morning's code): a restarted node's tasks module failed its
 * first start (a partition was migrating) after it had already accepted and run five durable tasks; the start was
 * retried with a new engine whose id counter began at 1 again, so the next five tasks got the same ids as the first
 * five: the observer saw each id's effect twice, and a key's new task shared an id with a finished one. A node's task
 * ids must stay unique for as long as the node (its Vert.x node id) lives, across starts of its tasks module.
 */
class TaskIdsTest {

  @Test
  void a_tasks_module_started_again_on_the_same_node_goes_on_with_its_ids() {
    String node = UUID.randomUUID().toString();
    TaskIds first = TaskIds.forNode(node);
    Set<String> ids = new HashSet<>();
    for (int i = 0; i < 5; i++) {
      ids.add(first.next());
    }
    TaskIds again = TaskIds.forNode(node); // the module's next start, same node
    for (int i = 0; i < 5; i++) {
      assertThat(ids.add(again.next())).as("a new id").isTrue();
    }
    assertThat(again.prefix()).isEqualTo(first.prefix());
  }

  @Test
  void another_node_counts_on_its_own() {
    TaskIds a = TaskIds.forNode(UUID.randomUUID().toString());
    TaskIds b = TaskIds.forNode(UUID.randomUUID().toString());
    a.next();
    a.next();
    assertThat(b.seqOf(b.next())).isEqualTo(1);
  }
}
