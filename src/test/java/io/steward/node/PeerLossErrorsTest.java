package io.steward.node;

import ch.qos.logback.classic.Level;
import ch.qos.logback.classic.Logger;
import ch.qos.logback.classic.LoggerContext;
import ch.qos.logback.classic.spi.ILoggingEvent;
import ch.qos.logback.core.read.ListAppender;
import ch.qos.logback.core.spi.FilterReply;
import com.hazelcast.spi.exception.CallerNotMemberException;
import com.hazelcast.spi.exception.ResponseAlreadySentException;
import com.hazelcast.spi.exception.TargetNotMemberException;
import org.junit.jupiter.api.Test;

import static org.assertj.core.api.Assertions.assertThat;

class PeerLossErrorsTest {

  private final LoggerContext context = new LoggerContext();
  private final PeerLossErrors filter = new PeerLossErrors();
  private final ListAppender<ILoggingEvent> logged = new ListAppender<>();

  PeerLossErrorsTest() {
    logged.setContext(context);
    logged.start();
    context.getLogger(Logger.ROOT_LOGGER_NAME).addAppender(logged);
  }

  /** The exception as Vert.x 5.1.6 throws it (eclipse-vertx/vert.x#6170): its stack passes OutboundConnection.writeMessage. */
  private static IllegalStateException promiseAlreadyCompleted(String atClass, String atMethod) {
    IllegalStateException e = new IllegalStateException("Promise already completed");
    e.setStackTrace(new StackTraceElement[] {
      new StackTraceElement("io.vertx.core.Promise", "fail", "Promise.java", 103),
      new StackTraceElement("io.vertx.core.impl.future.FutureBase", "onComplete", "FutureBase.java", 224),
      new StackTraceElement(atClass, atMethod, "OutboundConnection.java", 86),
    });
    return e;
  }

  private FilterReply decide(String loggerName, String format, Throwable t) {
    return filter.decide(null, context.getLogger(loggerName), Level.ERROR, format, null, t);
  }

  @Test
  void each_of_the_four_library_lines_of_a_peer_loss_becomes_one_warn_on_its_own_logger() {
    String reset = "recvAddress(..) failed with error(-104): Connection reset by peer";
    String notMember = "[10.100.236.2]:5701 [Campaign-105f019b] [5.6.0] Not Member! this: [10.100.236.2]:5701, "
      + "caller: [10.100.236.1]:5701, partitionId: -1, operation: PartitionIteratingOperation, service: hz:impl:mapService";
    String responded = "[10.167.27.1]:5701 [Campaign-dea36825] [5.6.0] NormalResponse already responseReceived for callback: "
      + "Invocation{op=PutIfAbsentOperation}";
    String partitionIterating = "com.hazelcast.spi.impl.operationservice.impl.operations.PartitionIteratingOperation";
    String putIfAbsent = "com.hazelcast.map.impl.operation.PutIfAbsentOperation";

    assertThat(decide(PeerLossErrors.CONTEXT_LOGGER, "Unhandled exception",
      promiseAlreadyCompleted(PeerLossErrors.OUTBOUND_CONNECTION, "writeMessage"))).isEqualTo(FilterReply.DENY);
    assertThat(decide(PeerLossErrors.CONNECTION_LOGGER, reset, null)).isEqualTo(FilterReply.DENY);
    assertThat(decide(partitionIterating, notMember, new CallerNotMemberException(notMember))).isEqualTo(FilterReply.DENY);
    assertThat(decide(putIfAbsent, responded, new ResponseAlreadySentException(responded))).isEqualTo(FilterReply.DENY);

    assertThat(logged.list).extracting(ILoggingEvent::getLevel).containsOnly(Level.WARN).hasSize(4);
    assertThat(logged.list).extracting(ILoggingEvent::getLoggerName)
      .containsExactly(PeerLossErrors.CONTEXT_LOGGER, PeerLossErrors.CONNECTION_LOGGER, partitionIterating, putIfAbsent);
    assertThat(logged.list.get(0).getFormattedMessage()).contains("Promise already completed", "vert.x#6170");
    assertThat(logged.list.get(1).getFormattedMessage()).startsWith(reset);
    assertThat(logged.list.get(2).getFormattedMessage()).startsWith(notMember).contains("CallerNotMemberException");
    assertThat(logged.list.get(3).getFormattedMessage()).startsWith(responded).contains("ResponseAlreadySentException");
    assertThat(logged.list).allSatisfy(e -> assertThat(e.getThrowableProxy()).isNull());
  }

  @Test
  void other_errors_of_the_same_loggers_and_the_same_lines_at_other_levels_are_left_alone() {
    // the same exception thrown elsewhere, another unhandled exception, another connection error
    assertThat(decide(PeerLossErrors.CONTEXT_LOGGER, "Unhandled exception",
      promiseAlreadyCompleted("io.steward.tasks.Runner", "finish"))).isEqualTo(FilterReply.NEUTRAL);
    assertThat(decide(PeerLossErrors.CONTEXT_LOGGER, "Unhandled exception", new IllegalStateException("boom")))
      .isEqualTo(FilterReply.NEUTRAL);
    assertThat(decide(PeerLossErrors.CONNECTION_LOGGER, "Too many open files", null)).isEqualTo(FilterReply.NEUTRAL);
    // the reset on another logger; a Hazelcast ERROR with another exception (its "Not Member!" for a target is a WARN)
    assertThat(decide("io.steward.bus.Bus", "Connection reset by peer", null)).isEqualTo(FilterReply.NEUTRAL);
    assertThat(decide("com.hazelcast.spi.impl.operationservice.impl.Invocation", "Not Member!",
      new TargetNotMemberException("Not Member!"))).isEqualTo(FilterReply.NEUTRAL);
    assertThat(decide("com.hazelcast.internal.cluster.impl.operations.LockClusterStateOp",
      "Still have pending migration tasks, cannot lock cluster state!", new IllegalStateException("x")))
      .isEqualTo(FilterReply.NEUTRAL);
    // Steward's own logger with the same exception
    assertThat(decide("io.steward.node.Node", "Not Member!", new CallerNotMemberException("Not Member!")))
      .isEqualTo(FilterReply.NEUTRAL);
    // a WARN, and logback's isErrorEnabled() probe (no format)
    assertThat(filter.decide(null, context.getLogger(PeerLossErrors.CONNECTION_LOGGER), Level.WARN,
      "Connection reset by peer", null, null)).isEqualTo(FilterReply.NEUTRAL);
    assertThat(filter.decide(null, context.getLogger(PeerLossErrors.CONNECTION_LOGGER), Level.ERROR, null, null, null))
      .isEqualTo(FilterReply.NEUTRAL);
    assertThat(logged.list).isEmpty();
  }
}
