package io.steward.tasks;

import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;

import static org.assertj.core.api.Assertions.assertThat;

/** A supervisor's pool: a zombie keeps its thread, the pool grows by one so the slot is usable, up to the cap. */
class WorkersTest {

  private final Workers workers = new Workers("test", 1, 1, false);

  @AfterEach
  void close() {
    workers.shutdownNow();
  }

  @Test
  void an_abandoned_handler_gets_a_replacement_thread_until_it_returns() throws Exception {
    CountDownLatch stuck = new CountDownLatch(1);
    CountDownLatch release = new CountDownLatch(1);
    workers.execute(() -> {
      stuck.countDown();
      while (true) {
        try {
          release.await();
          return;
        } catch (InterruptedException ignored) {
          // an uncooperative handler
        }
      }
    });
    assertThat(stuck.await(10, TimeUnit.SECONDS)).isTrue();
    assertThat(workers.abandoned()).isTrue();
    assertThat(workers.zombies()).isEqualTo(1);

    CountDownLatch ran = new CountDownLatch(1);
    workers.execute(ran::countDown);
    assertThat(ran.await(10, TimeUnit.SECONDS)).as("the next task runs beside the zombie").isTrue();

    // The cap: a second zombie keeps its slot.
    assertThat(workers.abandoned()).isFalse();
    workers.zombieReturned(false);

    release.countDown();
    workers.zombieReturned(true);
    assertThat(workers.zombies()).isZero();
  }

  @Test
  void every_task_handed_over_runs_however_it_arrives() throws Exception {
    Workers pool = new Workers("stress", 3, 3, false);
    try {
      java.util.concurrent.atomic.AtomicInteger ran = new java.util.concurrent.atomic.AtomicInteger();
      int total = 0;
      java.util.Random random = new java.util.Random(7);
      Thread[] producers = new Thread[2];
      for (int round = 0; round < 200; round++) {
        int single = random.nextInt(50);
        int batch = random.nextInt(500);
        total += 2 * (single + batch);
        for (int p = 0; p < producers.length; p++) {
          producers[p] = new Thread(() -> {
            for (int i = 0; i < single; i++) {
              pool.execute(ran::incrementAndGet);
            }
            java.util.List<Runnable> b = new java.util.ArrayList<>();
            for (int i = 0; i < batch; i++) {
              b.add(ran::incrementAndGet);
            }
            pool.executeAll(b);
          });
          producers[p].start();
        }
        for (Thread t : producers) {
          t.join();
        }
        long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(20);
        while (ran.get() < total && System.nanoTime() < deadline) {
          Thread.onSpinWait();
        }
        assertThat(ran.get()).as("round %d", round).isEqualTo(total);
      }
      assertThat(pool.threads()).isBetween(1, 3);
      assertThat(pool.queued()).isZero();
    } finally {
      pool.shutdownNow();
    }
  }

  @Test
  void virtual_threads_are_used_only_on_a_jvm_that_has_them() throws Exception {
    Workers v = new Workers("virtual", 2, 2, true);
    try {
      assertThat(v.virtual()).isEqualTo(Runtime.version().feature() >= 21);
      CountDownLatch ran = new CountDownLatch(1);
      boolean[] virtual = new boolean[1];
      v.execute(() -> {
        virtual[0] = !Thread.currentThread().getName().startsWith("steward-task-virtual-") || isVirtual();
        ran.countDown();
      });
      assertThat(ran.await(10, TimeUnit.SECONDS)).isTrue();
      assertThat(virtual[0]).isEqualTo(Runtime.version().feature() >= 21);
    } finally {
      v.shutdownNow();
    }
  }

  private static boolean isVirtual() {
    try {
      return (boolean) Thread.class.getMethod("isVirtual").invoke(Thread.currentThread());
    } catch (ReflectiveOperationException e) {
      return false;
    }
  }
}
