package io.steward.node;

import ch.qos.logback.classic.Level;
import ch.qos.logback.classic.Logger;
import ch.qos.logback.classic.turbo.TurboFilter;
import ch.qos.logback.core.spi.FilterReply;
import com.hazelcast.spi.exception.CallerNotMemberException;
import com.hazelcast.spi.exception.ResponseAlreadySentException;
import org.slf4j.Marker;

/**
 * Four lines that Vert.x 5.1.6 and Hazelcast 5.6 log at ERROR when a peer node dies (SIGKILL, a crash) or when two
 * sides of a split merge, although nothing of the node failed: the library recovers by itself (the event bus drops
 * the dead peer's connection and fails the messages in flight to it with NO_HANDLERS/TIMEOUT; Hazelcast retries the
 * operation on the new partition owner). Seen on every survivor of every kill and merge of the fault campaign
 * (docs/campaign.md). This filter (in {@code logback.xml}) turns exactly these lines into a WARN on the same logger,
 * one line without the stack trace; every other ERROR of these loggers stays an ERROR.
 * <ul>
 *   <li>Vert.x {@code ContextImpl} "Unhandled exception" {@code IllegalStateException: Promise already completed} thrown
 *   at {@code OutboundConnection.writeMessage}: a race in the clustered event bus when a peer's connection closes
 *   while a message to it is being written, eclipse-vertx/vert.x#6170 (fixed in 5.2, backport #6211). Remove this case
 *   when vertx.version in pom.xml has the fix (vertx-stack-depchain is served here only up to 5.1.6).</li>
 *   <li>Vert.x {@code ConnectionBase} "… Connection reset by peer": the event bus (or any TCP) connection of a peer that
 *   died; Vert.x logs an exception on a connection without an exception handler at ERROR. Remove with the first case if
 *   the upgrade also logs it lower.</li>
 *   <li>Hazelcast {@code CallerNotMemberException} ("Not Member! this: …, caller: …"): an operation sent by a member that
 *   has just left or been split off; the caller retries it. Hazelcast logs it at ERROR in
 *   {@code OperationRunnerImpl}.</li>
 *   <li>Hazelcast {@code ResponseAlreadySentException} ("NormalResponse already responseReceived for callback"): an
 *   operation that failed after its answer was sent, during a member's removal or a merge.</li>
 * </ul>
 * Keep the two Hazelcast cases while Hazelcast logs these exceptions at ERROR (5.6).
 */
public final class PeerLossErrors extends TurboFilter {

  static final String CONTEXT_LOGGER = "io.vertx.core.impl.ContextImpl";
  static final String CONNECTION_LOGGER = "io.vertx.core.net.impl.ConnectionBase";
  static final String OUTBOUND_CONNECTION = "io.vertx.core.eventbus.impl.clustered.OutboundConnection";

  @Override
  public FilterReply decide(Marker marker, Logger logger, Level level, String format, Object[] params, Throwable t) {
    if (level != Level.ERROR || format == null) {
      return FilterReply.NEUTRAL;
    }
    String what = what(logger.getName(), format, t);
    if (what == null) {
      return FilterReply.NEUTRAL;
    }
    logger.warn(what);
    return FilterReply.DENY;
  }

  /** The WARN line for one of the four library lines, or null for any other line. */
  private static String what(String logger, String format, Throwable t) {
    if (logger.equals(CONTEXT_LOGGER) && format.equals("Unhandled exception") && t instanceof IllegalStateException
        && "Promise already completed".equals(t.getMessage()) && thrownAt(t, OUTBOUND_CONNECTION, "writeMessage")) {
      return "The event bus wrote a message to a peer whose connection had just closed (java.lang.IllegalStateException: "
        + "Promise already completed at OutboundConnection.writeMessage, Vert.x race eclipse-vertx/vert.x#6170); the "
        + "message failed as it would to any dead peer. Nothing to do: it follows a peer node's death or split";
    }
    if (logger.equals(CONNECTION_LOGGER) && t == null && format.endsWith("Connection reset by peer")) {
      return format + " (a peer or client closed its connection abruptly: a peer node died or a client reset; "
        + "nothing to do unless it repeats while every node is up)";
    }
    if (logger.startsWith("com.hazelcast.") && t != null
        && (t instanceof CallerNotMemberException || t instanceof ResponseAlreadySentException)) {
      return format + " (" + t.getClass().getSimpleName() + " while a member left or the cluster merged: Hazelcast "
        + "retries the operation; nothing to do unless it repeats while the membership is stable)";
    }
    return null;
  }

  private static boolean thrownAt(Throwable t, String className, String method) {
    for (StackTraceElement e : t.getStackTrace()) {
      if (e.getClassName().equals(className) && e.getMethodName().equals(method)) {
        return true;
      }
    }
    return false;
  }
}
