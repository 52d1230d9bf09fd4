package io.steward.edge;

import ch.qos.logback.classic.Level;
import ch.qos.logback.classic.LoggerContext;
import ch.qos.logback.core.spi.FilterReply;
import org.junit.jupiter.api.Test;

import static org.assertj.core.api.Assertions.assertThat;

class LibraryLogsTest {

  private final LoggerContext context = new LoggerContext();
  private final LibraryLogs filter = new LibraryLogs();

  @Test
  void errors_a_client_causes_in_the_sockjs_library_are_not_logged_as_errors() {
    ch.qos.logback.classic.Logger library = context.getLogger(LibraryLogs.SOCKJS_LOGGER);
    assertThat(filter.decide(null, library, Level.ERROR, "Invalid type in incoming message: nope", null, null))
      .isEqualTo(FilterReply.DENY);
    assertThat(filter.decide(null, library, Level.ERROR, "SockJSSocket exception", null,
      new IllegalStateException("Cannot process text frame of size 65536"))).isEqualTo(FilterReply.DENY);
    assertThat(filter.decide(null, library, Level.ERROR, "Will not send message, reply address is > 36 chars", null, null))
      .isEqualTo(FilterReply.DENY);
  }

  @Test
  void other_errors_of_the_library_and_of_other_loggers_stay_errors() {
    ch.qos.logback.classic.Logger library = context.getLogger(LibraryLogs.SOCKJS_LOGGER);
    assertThat(filter.decide(null, library, Level.ERROR, "Failure in bridge event handler", null, new RuntimeException()))
      .isEqualTo(FilterReply.NEUTRAL);
    assertThat(filter.decide(null, library, Level.WARN, "Invalid type in incoming message: x", null, null))
      .isEqualTo(FilterReply.NEUTRAL);
    assertThat(filter.decide(null, context.getLogger("io.steward.Other"), Level.ERROR, "Invalid type in incoming message",
      null, null)).isEqualTo(FilterReply.NEUTRAL);
  }

  @Test
  void errors_a_client_causes_in_the_tcp_library_are_not_logged_as_errors() {
    ch.qos.logback.classic.Logger library = context.getLogger(LibraryLogs.TCP_LOGGER);
    java.io.IOException reset = new java.io.IOException("Connection reset by peer");
    assertThat(filter.decide(null, library, Level.ERROR, "Connection reset by peer", null, reset))
      .isEqualTo(FilterReply.DENY);
    assertThat(filter.decide(null, library, Level.ERROR, "msg does not have address: {\"type\":\"send\"}", null, null))
      .isEqualTo(FilterReply.DENY);
    assertThat(filter.decide(null, library, Level.ERROR, "Failure in bridge event handler", null, new RuntimeException()))
      .isEqualTo(FilterReply.NEUTRAL);
  }
}
