package io.steward.testing;

import io.vertx.core.Vertx;
import io.vertx.core.VertxOptions;
import org.junit.jupiter.api.Test;

import java.util.List;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;

import static org.assertj.core.api.Assertions.assertThat;

/** The build's blocked-thread check sees Vert.x's warning (the logger and words it listens for are right). */
class BlockedThreadsTest {

  @Test
  void a_blocked_event_loop_is_recorded_for_the_check() throws Exception {
    BlockedThreads.drain();
    Vertx vertx = Vertx.vertx(new VertxOptions().setMaxEventLoopExecuteTime(100).setMaxEventLoopExecuteTimeUnit(
      TimeUnit.MILLISECONDS).setBlockedThreadCheckInterval(20).setBlockedThreadCheckIntervalUnit(TimeUnit.MILLISECONDS));
    CountDownLatch release = new CountDownLatch(1);
    try {
      vertx.runOnContext(v -> {
        try {
          release.await(30, TimeUnit.SECONDS); // the bug the check exists for: waiting on an event loop
        } catch (InterruptedException e) {
          Thread.currentThread().interrupt();
        }
      });
      assertThat(BlockedThreads.await(30_000)).as("a blocked-thread warning within 30 s").isTrue();
    } finally {
      release.countDown();
      vertx.close().await(30, TimeUnit.SECONDS);
    }
    List<String> warnings = BlockedThreads.drain(); // drained: this test's warning must not fail it
    assertThat(warnings).isNotEmpty();
    assertThat(warnings.get(0)).contains("vert.x-eventloop-thread").contains(BlockedThreads.WARNING);
    assertThat(BlockedThreads.blockedMs(warnings.get(0))).isGreaterThanOrEqualTo(100);
    assertThat(BlockedThreads.blockedMs("2026-12-06T13:49:26.788Z WARN  [vertx-blocked-thread-checker] "
      + "i.v.c.i.BlockedThreadChecker - Thread vert.x-eventloop-thread-3 has been blocked for 2646 ms, time limit is "
      + "2000 ms")).isEqualTo(2646);
  }
}
