package io.steward.reliability;

import io.vertx.core.Future;
import io.vertx.core.Promise;
import io.vertx.core.Vertx;
import io.vertx.core.eventbus.DeliveryOptions;
import io.vertx.core.eventbus.ReplyException;
import io.vertx.core.eventbus.ReplyFailure;

import java.util.Map;
import java.util.Set;
import java.util.TreeMap;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.atomic.AtomicLong;

/**
 * The test JVM's side of the event bus (a lite member): requests with a send timeout, the failure code of
 * each failed one counted, and a retry loop for the codes the README calls retryable.
 */
final class Bus {

  /** Codes a caller may retry (README, Failure codes): 408, 429, 503, 504; -1 is a failure that is no reply. */
  static final Set<Integer> RETRYABLE = Set.of(408, 429, 503, 504);

  private final Vertx vertx;
  private final Map<Integer, AtomicLong> codes = new ConcurrentHashMap<>();
  private final AtomicLong retries = new AtomicLong();

  Bus(Vertx vertx) {
    this.vertx = vertx;
  }

  Vertx vertx() {
    return vertx;
  }

  /** The failure code of a failed request: Vert.x's NO_HANDLERS is 503 and TIMEOUT 408 (README); -1 if not a reply. */
  static int code(Throwable err) {
    if (err instanceof ReplyException re) {
      if (re.failureType() == ReplyFailure.NO_HANDLERS) {
        return 503;
      }
      if (re.failureType() == ReplyFailure.TIMEOUT) {
        return 408;
      }
      return re.failureCode();
    }
    return -1;
  }

  <T> Future<T> request(String address, Object body, long timeoutMs) {
    return vertx.eventBus().<T>request(address, body, new DeliveryOptions().setSendTimeout(timeoutMs))
      .map(m -> m.body())
      .onFailure(err -> codes.computeIfAbsent(code(err), c -> new AtomicLong()).incrementAndGet());
  }

  /**
   * Requests until an answer that is not a retryable failure, or {@code deadline} passes; waits 100 ms, then
   * doubling to 1 s, between tries. Only for operations that are safe to repeat (idempotent, or carrying an
   * operation id).
   */
  <T> Future<T> retried(String address, Object body, long timeoutMs, long deadline) {
    return retried(address, body, timeoutMs, deadline, 100);
  }

  private <T> Future<T> retried(String address, Object body, long timeoutMs, long deadline, long backoff) {
    return this.<T>request(address, body, timeoutMs).recover(err -> {
      if (!RETRYABLE.contains(code(err)) || System.currentTimeMillis() + backoff > deadline) {
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
  Map<Integer, Long> codes() {
    Map<Integer, Long> out = new TreeMap<>();
    codes.forEach((c, n) -> out.put(c, n.get()));
    return out;
  }

  long retries() {
    return retries.get();
  }
}
