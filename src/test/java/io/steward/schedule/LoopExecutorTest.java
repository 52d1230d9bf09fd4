package io.steward.schedule;

import io.vertx.core.Context;
import io.vertx.core.Vertx;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;

import static org.assertj.core.api.Assertions.assertThat;

class LoopExecutorTest {

  private final Vertx vertx = Vertx.vertx();

  @AfterEach
  void close() throws Exception {
    vertx.close().await(10, TimeUnit.SECONDS);
  }

  @Test
  void a_long_batch_of_answers_yields_the_loop_to_its_other_work_and_keeps_its_order() throws Exception {
    Context context = vertx.getOrCreateContext();
    List<String> ran = new ArrayList<>();
    CompletableFuture<Void> done = new CompletableFuture<>();
    int tasks = 400;
    LoopExecutor loop = new LoopExecutor(context, () -> { }, () -> { });
    context.runOnContext(v -> {
      for (int i = 0; i < tasks; i++) {
        int n = i;
        loop.execute(() -> {
          if (n == 0) {
            context.runOnContext(w -> ran.add("other work")); // queued behind the batch's turn
          }
          long until = System.nanoTime() + 50_000; // 400 tasks of 50 µs: 20 ms, ten turns' worth
          while (System.nanoTime() < until) {
            Thread.onSpinWait();
          }
          ran.add("task " + n);
          if (n == tasks - 1) {
            done.complete(null);
          }
        });
      }
    });
    done.get(30, TimeUnit.SECONDS);
    assertThat(ran.indexOf("other work")).as("the loop's other work ran between turns, not after the whole batch")
      .isBetween(1, tasks - 1);
    List<String> order = new ArrayList<>(ran);
    order.remove("other work");
    for (int i = 0; i < tasks; i++) {
      assertThat(order.get(i)).isEqualTo("task " + i);
    }
  }
}
