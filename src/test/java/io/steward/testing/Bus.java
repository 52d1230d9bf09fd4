package io.steward.testing;

import io.steward.bus.Failure;
import io.vertx.core.Future;
import io.vertx.core.Promise;
import io.vertx.core.Vertx;
import io.vertx.core.eventbus.DeliveryOptions;
import io.vertx.core.eventbus.ReplyException;
import io.vertx.core.eventbus.ReplyFailure;
import io.vertx.core.json.JsonObject;

import java.util.Map;
import java.util.TreeMap;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicLong;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.fail;

/**
 * A test's side of the event bus. Static: one request and its reply or failure ({@link #call}, {@link #failure}).
 * An instance: requests with a send timeout, the failure code of each failed one counted, and a retry loop for
 * the codes {@link Failure} calls retryable.
 */
public final class Bus {

  public static final long TIMEOUT_MS = 30_000;

  private final Vertx vertx;
  private final Map<Integer, AtomicLong> codes = new ConcurrentHashMap<>();
  private final AtomicLong retries = new AtomicLong();

  public Bus(Vertx vertx) {
    this.vertx = vertx;
  }

  public Vertx vertx() {
    return vertx;
  }

  public static Future<JsonObject> ask(Vertx vertx, String address, Object body) {
    return vertx.eventBus().request(address, body, new DeliveryOptions().setSendTimeout(TIMEOUT_MS))
      .map(m -> (JsonObject) m.body());
  }

  /** Asks this node's own consumer (the event bus would otherwise pick any node that runs the module). */
  public static Future<JsonObject> askHere(Vertx vertx, String address, Object body) {
    return vertx.eventBus().request(address, body, new DeliveryOptions().setSendTimeout(TIMEOUT_MS).setLocalOnly(true))
      .map(m -> (JsonObject) m.body());
  }

  /** Blocks (test thread) for the reply body. */
  public static JsonObject call(Vertx vertx, String address, Object body) throws Exception {
    return ask(vertx, address, body).await(TIMEOUT_MS + 5_000, TimeUnit.MILLISECONDS);
  }

  /** Blocks for the failure and checks its code and that its message contains {@code text}. */
  public static ReplyException failure(Vertx vertx, String address, Object body, int code, String text) throws Exception {
    try {
      Object reply = vertx.eventBus().request(address, body, new DeliveryOptions().setSendTimeout(TIMEOUT_MS))
        .await(TIMEOUT_MS + 5_000, TimeUnit.MILLISECONDS).body();
      fail("expected %d from %s for %s, got reply %s", code, address, body, reply);
      return null;
    } catch (ReplyException e) {
      assertThat(e.failureCode()).as("code of %s for %s: %s", address, body, e.getMessage()).isEqualTo(code);
      assertThat(e.getMessage()).as("message of %s for %s", address, body).contains(text);
      return e;
    }
  }

  /** The body naming one cache entry. */
  public static JsonObject entry(String cache, String key) {
    return new JsonObject().put("cache", cache).put("key", key);
  }

  /**
   * The failure code of a failed request: Vert.x's NO_HANDLERS and TIMEOUT as {@link Failure#of} reads them (503,
   * 408), a recipient's code as it is; -1 if not a reply.
   */
  public static int code(Throwable err) {
    if (!(err instanceof ReplyException re)) {
      return -1;
    }
    boolean vertx = re.failureType() == ReplyFailure.NO_HANDLERS || re.failureType() == ReplyFailure.TIMEOUT;
    return vertx ? Failure.of(re).code() : re.failureCode();
  }

  /** Whether a caller may retry after a failure with this code: what {@link Failure} says of it (README, Failure codes). */
  public static boolean retryableCode(int code) {
    Failure f = Failure.ofCode(code);
    return f.code() == code && f.retryable();
  }

  /** Whether a caller may retry after this failure; never for a failure that is no reply. */
  public static boolean retryable(Throwable err) {
    return retryableCode(code(err));
  }

  public <T> Future<T> request(String address, Object body, long timeoutMs) {
    return vertx.eventBus().<T>request(address, body, new DeliveryOptions().setSendTimeout(timeoutMs))
      .map(m -> m.body())
      .onFailure(err -> codes.computeIfAbsent(code(err), c -> new AtomicLong()).incrementAndGet());
  }

  /**
   * Requests until an answer that is not a retryable failure, or {@code deadline} passes; waits 100 ms, then
   * doubling to 1 s, between tries. Only for operations that are safe to repeat (idempotent, or carrying an
   * operation id).
   */
  public <T> Future<T> retried(String address, Object body, long timeoutMs, long deadline) {
    return retried(address, body, timeoutMs, deadline, 100);
  }

  private <T> Future<T> retried(String address, Object body, long timeoutMs, long deadline, long backoff) {
    return this.<T>request(address, body, timeoutMs).recover(err -> {
      if (!retryable(err) || System.currentTimeMillis() + backoff > deadline) {
        return Future.failedFuture(err);
      }
      retries.incrementAndGet();
      Promise<T> later = Promise.promise();
      vertx.setTimer(backoff, t -> this.<T>retried(address, body, timeoutMs, deadline, Math.min(1_000, backoff * 2))
        .onComplete(later));
      return later.future();
    });
  }

  /** Failed requests by code, every try counted. */
  public Map<Integer, Long> codes() {
    Map<Integer, Long> out = new TreeMap<>();
    codes.forEach((c, n) -> out.put(c, n.get()));
    return out;
  }

  public long retries() {
    return retries.get();
  }
}
