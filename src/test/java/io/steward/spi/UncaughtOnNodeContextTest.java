package io.steward.spi;

import ch.qos.logback.classic.Level;
import io.steward.node.StewardNode;
import io.steward.testing.LogCapture;
import io.steward.testing.TestCluster;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

import java.util.List;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * CI of 2026-12-07 (NodeProcessIT, the survivor of a kill): once the node had its own Vert.x exception handler (for
 * HazelcastInstanceNotActiveException after the member's shutdown), every other uncaught exception was logged by
 * that handler as "ERROR StewardNode - Unhandled exception", past LibraryLogs, which knows Vert.x's own logger for
 * these lines: Vert.x 5.1.6's "Promise already completed" after a peer's death became an ERROR again. What the
 * handler does not take itself must reach the log as Vert.x would have logged it.
 */
class UncaughtOnNodeContextTest {

  private static TestCluster cluster;
  private static StewardNode node;

  @BeforeAll
  static void start() throws Exception {
    cluster = TestCluster.create(UncaughtOnNodeContextTest.class, 1);
    node = cluster.startBlocking(1, List.of(), null).get(0);
  }

  @AfterAll
  static void stop() throws Exception {
    cluster.close();
  }

  private static LogCapture throwOnTheEventLoop(Throwable t) throws Exception {
    LogCapture logs = LogCapture.open();
    node.vertx().runOnContext(v -> {
      throw t instanceof RuntimeException r ? r : new RuntimeException(t);
    });
    // A marker run after the throw on the same context: its line says the throw was handled.
    node.vertx().runOnContext(v -> org.slf4j.LoggerFactory.getLogger("marker").info("after"));
    assertThat(logs.await(m -> m.contains("marker - after"), 10_000)).isTrue();
    return logs;
  }

  @Test
  void vertx_failed_event_bus_write_after_a_peer_death_is_one_warn_not_an_error() throws Exception {
    try (LogCapture logs = throwOnTheEventLoop(LibraryLogsTest.promiseAlreadyCompletedQueued())) {
      assertThat(logs.atLeast(Level.ERROR)).isEmpty();
      assertThat(logs.messages()).anyMatch(m -> m.startsWith("WARN") && m.contains("eventbus-write-to-lost-peer"));
    }
  }

  @Test
  void any_other_uncaught_exception_stays_an_error_with_its_stack_trace() throws Exception {
    try (LogCapture logs = throwOnTheEventLoop(new IllegalArgumentException("a bug of ours"))) {
      assertThat(logs.atLeast(Level.ERROR)).singleElement().satisfies(e -> {
        assertThat(e.getFormattedMessage()).isEqualTo("Unhandled exception");
        assertThat(e.getThrowableProxy().getMessage()).isEqualTo("a bug of ours");
      });
    }
  }
}
