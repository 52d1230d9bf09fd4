package io.steward.edge;

import ch.qos.logback.classic.Level;
import ch.qos.logback.classic.Logger;
import ch.qos.logback.classic.turbo.TurboFilter;
import ch.qos.logback.core.spi.FilterReply;
import io.steward.bus.RateLimitedLog;
import org.slf4j.LoggerFactory;
import org.slf4j.Marker;

import java.util.List;

/**
 * The bridge libraries' log lines that a client causes, matched by the libraries' exact logger names and
 * strings (the one place Steward reads them; {@code logback.xml} installs this filter). The libraries log at
 * ERROR, some with a stack trace, what a client did wrong before any of Steward's checks can see it; the
 * client is answered (an {@code err} frame) or disconnected, so these are not the node's errors, and any client
 * could fill the log with them. Each kind becomes one WARN every 10 s that says what to do; every other ERROR of
 * the libraries (a failing bridge-event handler, authorization) stays an ERROR.
 *
 * <p>Missing public API: neither library has a hook for a client's error, nor logs it below ERROR. On upgrade:
 * the logger names are implementation classes ({@code ..impl..}) and the strings are the libraries' own text;
 * if either changes, nothing fails to compile, the lines simply come back as ERRORs with stack traces.
 * LibraryLogsTest holds the strings of the versions in the pom (vertx-web and vertx-tcp-eventbus-bridge 5.1.6);
 * TcpBridgeTest (a reset connection logs no ERROR) and HttpSecurityTest run the libraries themselves.
 */
public final class LibraryLogs extends TurboFilter {

  /** vertx-web 5.1.6, {@code EventBusBridgeImpl}: the SockJS bridge. */
  static final String SOCKJS_LOGGER = "io.vertx.ext.web.handler.sockjs.impl.EventBusBridgeImpl";
  /** Its lines a client causes: a frame with an unknown type, a reply address over 36 characters, a socket error
   * (a message over {@code http.bodyLimitBytes}, a reset). */
  private static final List<String> SOCKJS_CLIENT_ERRORS = List.of("Invalid type in incoming message",
    "Will not send message, reply address is > 36 chars", "SockJSSocket exception");

  /** vertx-tcp-eventbus-bridge 5.1.6, {@code TcpEventBusBridgeImpl}: the TCP bridge. */
  static final String TCP_LOGGER = "io.vertx.ext.eventbus.bridge.tcp.impl.TcpEventBusBridgeImpl";
  /** What Vert.x's logging puts as the message of an exception that has none. */
  private static final String NO_MESSAGE = "<missing-log-message>";
  /** Its line for a frame without an address (raw JSON quoted after it). */
  private static final String NO_ADDRESS = "msg does not have address";

  /** The WARNs go to the loggers of the two bridges, where an operator looks for them. */
  private static final RateLimitedLog SOCKJS_WARN = new RateLimitedLog(LoggerFactory.getLogger("io.steward.http.SockJsBridge"), 10_000);
  private static final RateLimitedLog TCP_WARN = new RateLimitedLog(LoggerFactory.getLogger("io.steward.bridge.BridgeVerticle"), 10_000);

  @Override
  public FilterReply decide(Marker marker, Logger logger, Level level, String format, Object[] params, Throwable t) {
    if (level != Level.ERROR || format == null) {
      return FilterReply.NEUTRAL;
    }
    if (SOCKJS_LOGGER.equals(logger.getName())) {
      return sockJs(format, t);
    }
    if (TCP_LOGGER.equals(logger.getName())) {
      return tcp(format, t);
    }
    return FilterReply.NEUTRAL;
  }

  private static FilterReply sockJs(String format, Throwable t) {
    for (String kind : SOCKJS_CLIENT_ERRORS) {
      if (format.startsWith(kind)) {
        SOCKJS_WARN.warn(kind, "A SockJS bridge client sent what the bridge cannot take: " + format
          + (t == null ? "" : " (" + t + ")") + "; the client was answered with an error or disconnected. Fix the client.");
        return FilterReply.DENY;
      }
    }
    return FilterReply.NEUTRAL;
  }

  private static FilterReply tcp(String format, Throwable t) {
    if (t != null && (format.equals(t.getMessage()) || (t.getMessage() == null && format.equals(NO_MESSAGE)))) {
      // The socket's exception handler: log.error(t.getMessage(), t), then the socket is closed.
      TCP_WARN.warn("socket:" + t.getClass().getName(), "A TCP bridge client's connection failed: " + t
        + "; the bridge closed it. A client that resets its connection (or fails its TLS handshake) causes this; "
        + "nothing to do unless one client does it all the time");
      return FilterReply.DENY;
    }
    if (t == null && format.startsWith(NO_ADDRESS)) {
      TCP_WARN.warn(NO_ADDRESS, "A TCP bridge client sent a frame without an address; it was answered with an err "
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
