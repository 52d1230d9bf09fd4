package io.steward.bridge;

import ch.qos.logback.classic.Level;
import ch.qos.logback.classic.Logger;
import ch.qos.logback.classic.turbo.TurboFilter;
import ch.qos.logback.core.spi.FilterReply;
import io.steward.bus.RateLimitedLog;
import org.slf4j.LoggerFactory;
import org.slf4j.Marker;

/**
 * The TCP bridge library (vertx-tcp-eventbus-bridge 5.1.6, {@code TcpEventBusBridgeImpl}) logs at ERROR, with a
 * stack trace, what a client's connection did: an I/O error on its socket (a client that resets its connection,
 * "Connection reset by peer"; a TLS handshake that fails) and a frame without an address (raw JSON quoted). The
 * library closes the socket or answers the client with an {@code err} frame, so these are not the node's errors,
 * and any client could fill the log with them. This filter (in {@code logback.xml}) turns exactly those lines
 * into one WARN per kind every 10 s, without the stack trace; every other ERROR of the library (a failing
 * bridge-event handler) stays an ERROR.
 */
public final class TcpClientErrors extends TurboFilter {

  static final String LIBRARY_LOGGER = "io.vertx.ext.eventbus.bridge.tcp.impl.TcpEventBusBridgeImpl";
  /** What Vert.x's logging puts as the message of an exception that has none. */
  private static final String NO_MESSAGE = "<missing-log-message>";
  private static final String NO_ADDRESS = "msg does not have address";
  private static final RateLimitedLog WARN = new RateLimitedLog(LoggerFactory.getLogger(BridgeVerticle.class), 10_000);

  @Override
  public FilterReply decide(Marker marker, Logger logger, Level level, String format, Object[] params, Throwable t) {
    if (level != Level.ERROR || format == null || !LIBRARY_LOGGER.equals(logger.getName())) {
      return FilterReply.NEUTRAL;
    }
    if (t != null && (format.equals(t.getMessage()) || (t.getMessage() == null && format.equals(NO_MESSAGE)))) {
      // The socket's exception handler: log.error(t.getMessage(), t), then the socket is closed.
      WARN.warn("socket:" + t.getClass().getName(), "A TCP bridge client's connection failed: " + t
        + "; the bridge closed it. A client that resets its connection (or fails its TLS handshake) causes this; "
        + "nothing to do unless one client does it all the time");
      return FilterReply.DENY;
    }
    if (t == null && format.startsWith(NO_ADDRESS)) {
      WARN.warn(NO_ADDRESS, "A TCP bridge client sent a frame without an address; it was answered with an err "
        + "frame (missing_address). Fix the client. The frame: " + abbreviate(format.substring(NO_ADDRESS.length())));
      return FilterReply.DENY;
    }
    return FilterReply.NEUTRAL;
  }

  private static String abbreviate(String s) {
    String t = s.startsWith(": ") ? s.substring(2) : s;
    return t.length() <= 200 ? t : t.substring(0, 200) + "…";
  }
}
