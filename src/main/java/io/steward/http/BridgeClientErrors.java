package io.steward.http;

import ch.qos.logback.classic.Level;
import ch.qos.logback.classic.Logger;
import ch.qos.logback.classic.turbo.TurboFilter;
import ch.qos.logback.core.spi.FilterReply;
import io.steward.bus.RateLimitedLog;
import org.slf4j.LoggerFactory;
import org.slf4j.Marker;

import java.util.List;

/**
 * The SockJS bridge library (vertx-web 5.1.6, {@code EventBusBridgeImpl}) logs at ERROR what a client did wrong
 * before any of Steward's checks can see it: a frame with an unknown {@code type}, a reply address over 36
 * characters, a socket error (a message over {@code http.bodyLimitBytes}, a reset). The client is told (an
 * {@code err} frame, or the connection closed), so these are not the node's errors, and any client could fill the
 * log with them. This filter (in {@code logback.xml}) turns exactly those lines into one WARN per kind every 10 s;
 * every other ERROR of the library (a failing bridge-event handler, authorization) stays an ERROR.
 */
public final class BridgeClientErrors extends TurboFilter {

  static final String LIBRARY_LOGGER = "io.vertx.ext.web.handler.sockjs.impl.EventBusBridgeImpl";
  private static final List<String> CLIENT_ERRORS = List.of("Invalid type in incoming message",
    "Will not send message, reply address is > 36 chars", "SockJSSocket exception");
  private static final RateLimitedLog WARN = new RateLimitedLog(LoggerFactory.getLogger(SockJsBridge.class), 10_000);

  @Override
  public FilterReply decide(Marker marker, Logger logger, Level level, String format, Object[] params, Throwable t) {
    if (level != Level.ERROR || format == null || !LIBRARY_LOGGER.equals(logger.getName())) {
      return FilterReply.NEUTRAL;
    }
    for (String kind : CLIENT_ERRORS) {
      if (format.startsWith(kind)) {
        WARN.warn(kind, "A SockJS bridge client sent what the bridge cannot take: " + format
          + (t == null ? "" : " (" + t + ")") + "; the client was answered with an error or disconnected. Fix the client.");
        return FilterReply.DENY;
      }
    }
    return FilterReply.NEUTRAL;
  }
}
