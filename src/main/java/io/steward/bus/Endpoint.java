package io.steward.bus;

import io.micrometer.core.instrument.Counter;
import io.micrometer.core.instrument.MeterRegistry;
import io.steward.observe.LogText;
import io.steward.observe.Metrics;
import io.steward.observe.RateLimitedLog;
import io.vertx.core.Future;
import io.vertx.core.Vertx;
import io.vertx.core.eventbus.Message;
import io.vertx.core.eventbus.MessageConsumer;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Registers a request handler on an address with Steward's contract around it:
 * <ul>
 *   <li>the handler's return value is the reply (a {@link Future} is awaited);</li>
 *   <li>a {@link StewardException} becomes a {@code ReplyException} with its code and message, never an
 *       error in the log;</li>
 *   <li>any other exception is logged once at ERROR with the address, and answered with 500;</li>
 *   <li>a fire-and-forget {@code send} that fails has nobody to answer: it is counted in
 *       {@code steward_bus_rejected_total{address,code}} and logged at WARN, rate-limited.</li>
 * </ul>
 */
public final class Endpoint {

  private static final Logger LOG = LoggerFactory.getLogger(Endpoint.class);
  private static final RateLimitedLog REJECTIONS = new RateLimitedLog(LOG, 10_000);

  /** Handles one message; returns the reply body (or a Future of it), or throws. */
  @FunctionalInterface
  public interface Handler {
    Object handle(Message<Object> message) throws Exception;
  }

  private Endpoint() {
  }

  /** A cluster-wide consumer; await {@code completion()} before announcing the module as started. */
  public static MessageConsumer<Object> consumer(Vertx vertx, String address, Handler handler) {
    return vertx.eventBus().consumer(address, message -> dispatch(vertx, address, message, handler));
  }

  /** A consumer only this node sees (per-node addresses, local plumbing). */
  public static MessageConsumer<Object> localConsumer(Vertx vertx, String address, Handler handler) {
    return vertx.eventBus().localConsumer(address, message -> dispatch(vertx, address, message, handler));
  }

  private static void dispatch(Vertx vertx, String address, Message<Object> message, Handler handler) {
    Object result;
    try {
      result = handler.handle(message);
    } catch (Throwable t) {
      fail(vertx, address, message, t);
      return;
    }
    if (result instanceof Future<?> future) {
      future.onComplete(ar -> {
        if (ar.succeeded()) {
          message.reply(ar.result());
        } else {
          fail(vertx, address, message, ar.cause());
        }
      });
    } else {
      message.reply(result);
    }
  }

  /**
   * Answers a message with the failure code of {@code error}; counts and logs it when the sender did not
   * ask for an answer.
   */
  public static void fail(Vertx vertx, String address, Message<?> message, Throwable error) {
    if (splitBrainProtected(error)) {
      error = StewardException.unavailable("refused: this side of the cluster has fewer members than "
        + "cluster.minimumSize (split-brain protection, a network partition or too many nodes down); retry once the "
        + "cluster is whole again");
    }
    if (leaving(error)) {
      error = StewardException.indeterminate("this node's cluster member is shutting down (the node is stopping) and "
        + "could not finish the request: its outcome is unknown; read before retrying, through another node ("
        + error.getClass().getSimpleName() + ")");
    }
    if (indeterminate(error) || timedOut(error)) {
      error = StewardException.indeterminate("a cluster member left, or did not confirm a write's backup in time, "
        + "during the operation: its outcome is unknown; read before retrying (" + error.getMessage() + ")");
    }
    if (!(error instanceof StewardException) && rebalancing(error)) {
      error = StewardException.unavailable("the cluster is moving data (a member joined, left or is being removed: "
        + error.getClass().getSimpleName() + "); nothing was applied; retry");
    }
    Failure failure = Failure.of(error);
    String text = error.getMessage() == null ? error.getClass().getSimpleName() : error.getMessage();
    if (!(error instanceof StewardException) && !(error instanceof io.vertx.core.eventbus.ReplyException)) {
      LOG.error("Handler for {} failed with an unexpected {}: {}. The caller got a 500; this is a bug, please "
        + "report it with this stack trace.", address, error.getClass().getName(), LogText.escape(text), error);
      text = "handler failed: " + error.getClass().getSimpleName() + ": " + text;
    }
    if (failure == Failure.FORBIDDEN) {
      forbidden(vertx, address, text);
    }
    if (message.replyAddress() == null) {
      rejected(vertx, address, failure, text);
      return;
    }
    message.fail(failure.code(), text);
  }

  /**
   * Whether the request met this node's Hazelcast member shutting down (campaign seed 2106: a submit handled while the
   * node stopped for a restart got a 500 and an ERROR line): a 504, its outcome unknown, not a bug.
   */
  static boolean leaving(Throwable error) {
    for (Throwable t = error; t != null; t = t.getCause() == t ? null : t.getCause()) {
      if (t instanceof StewardException) {
        return false;
      }
      if (t instanceof com.hazelcast.core.HazelcastInstanceNotActiveException) {
        return true;
      }
    }
    return false;
  }

  /**
   * Whether Hazelcast could not tell if a write happened (its owner left mid-call, or its backup did not confirm it):
   * the documented 504, not a 500 with an ERROR line. Hazelcast says so with two unrelated types:
   * {@code MemberLeftException} is an {@code IndeterminateOperationState}, but the exception of a backup that never
   * acknowledged ({@code IndeterminateOperationStateException}, from a call made with
   * {@code setFailOnIndeterminateOperationState}) is not.
   */
  public static boolean indeterminate(Throwable error) {
    for (Throwable t = error; t != null; t = t.getCause() == t ? null : t.getCause()) {
      if (t instanceof StewardException) {
        return false;
      }
      if (t instanceof com.hazelcast.core.IndeterminateOperationState
        || t instanceof com.hazelcast.core.IndeterminateOperationStateException) {
        return true;
      }
    }
    return false;
  }

  /**
   * Whether a Hazelcast call ran out of time or lost its connection to the member running it: the outcome is unknown
   * (a 504, as {@link #indeterminate}), not a bug (campaign seeds 1040, 1047: OperationTimeoutException during a
   * partition).
   */
  static boolean timedOut(Throwable error) {
    for (Throwable t = error; t != null; t = t.getCause() == t ? null : t.getCause()) {
      if (t instanceof StewardException) {
        return false;
      }
      if (t instanceof com.hazelcast.core.OperationTimeoutException
          || t instanceof com.hazelcast.spi.exception.TargetDisconnectedException) {
        return true;
      }
    }
    return false;
  }

  /**
   * Whether Hazelcast refused an operation before running it because partitions are moving (it answers
   * {@code PartitionMigratingException}, {@code WrongTargetException}, {@code TargetNotMemberException}, … after
   * its own retries ran out): nothing was applied, a 503 to retry (campaign seed 1036: 500s with an ERROR on
   * steward.schedule.put and delete while a member was being removed).
   */
  static boolean rebalancing(Throwable error) {
    for (Throwable t = error; t != null; t = t.getCause() == t ? null : t.getCause()) {
      if (t instanceof com.hazelcast.spi.exception.RetryableException) {
        return true;
      }
    }
    return false;
  }

  /**
   * Whether Hazelcast refused the operation on this side of a split brain ({@code cluster.minimumSize}): an expected
   * state, not a bug, so a 503 (retryable) rather than a 500 with an ERROR for any handler that meets it.
   */
  static boolean splitBrainProtected(Throwable error) {
    for (Throwable t = error; t != null; t = t.getCause() == t ? null : t.getCause()) {
      if (t instanceof com.hazelcast.splitbrainprotection.SplitBrainProtectionException) {
        return true;
      }
    }
    return false;
  }

  /**
   * Counts in {@code steward_door_refusals_total{address}} and logs (rate-limited) a request refused because its
   * door does not permit an address it names ({@link Door}): the operator may need to add a target.
   */
  private static void forbidden(Vertx vertx, String address, String reason) {
    Counter.builder("steward_door_refusals")
      .description("Requests through a bridge or HTTP refused because they name a target their door does not permit")
      .tag("address", address)
      .register(Metrics.registry(vertx))
      .increment();
    REJECTIONS.warn("forbidden " + address, "Refused a request on " + address + " that came through a bridge or HTTP: "
      + printable(reason) + ". If clients of that door should reach it, add it to the setting named; otherwise the "
      + "client is probing (docs/security.md).");
  }

  /** A client-controlled text made safe for one log line: control characters are escaped. */
  static String printable(String text) {
    StringBuilder sb = new StringBuilder(Math.min(text.length(), 500));
    for (int i = 0; i < text.length() && i < 500; i++) {
      char c = text.charAt(i);
      if (c < 0x20 || c == 0x7f) {
        sb.append(String.format("\\u%04x", (int) c));
      } else {
        sb.append(c);
      }
    }
    return text.length() > 500 ? sb.append('…').toString() : sb.toString();
  }

  /** Counts and logs a failure nobody can be told about (a fire-and-forget send). */
  public static void rejected(Vertx vertx, String address, Failure failure, String reason) {
    MeterRegistry registry = Metrics.registry(vertx);
    Counter.builder("steward_bus_rejected")
      .description("Fire-and-forget messages that were refused; the sender was not told")
      .tag("address", address)
      .tag("code", Integer.toString(failure.code()))
      .register(registry)
      .increment();
    REJECTIONS.warn(address + failure.code(), "Refused a fire-and-forget message on " + address + " with "
      + failure.code() + ": " + reason + ". The sender did not ask for a reply, so it was not told; use "
      + "request() to get the error, or watch steward_bus_rejected_total.");
  }
}
