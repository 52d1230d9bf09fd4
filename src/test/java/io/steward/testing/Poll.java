package io.steward.testing;

import io.vertx.core.Future;
import io.vertx.core.Promise;
import io.vertx.core.Vertx;

import java.util.concurrent.TimeoutException;
import java.util.function.Supplier;

/**
 * Waits for a condition that another process or node makes true (a member noticed dead, an entry
 * expired): asks again on a Vert.x timer until it holds or the deadline passes. The future fails with a
 * message naming what was awaited, and the last value seen.
 */
public final class Poll {

  private Poll() {
  }

  public static Future<Void> until(Vertx vertx, String what, long timeoutMs, Supplier<Future<Boolean>> check) {
    Promise<Void> done = Promise.promise();
    long deadline = System.currentTimeMillis() + timeoutMs;
    attempt(vertx, what, deadline, check, done, null);
    return done.future();
  }

  private static void attempt(Vertx vertx, String what, long deadline, Supplier<Future<Boolean>> check,
                              Promise<Void> done, Throwable last) {
    if (System.currentTimeMillis() > deadline) {
      done.fail(new TimeoutException("timed out waiting for: " + what
        + (last == null ? "" : " (last error: " + last.getMessage() + ")")));
      return;
    }
    Future<Boolean> f;
    try {
      f = check.get();
    } catch (RuntimeException e) {
      f = Future.failedFuture(e);
    }
    f.onComplete(ar -> {
      if (ar.succeeded() && Boolean.TRUE.equals(ar.result())) {
        done.complete();
      } else {
        vertx.setTimer(50, t -> attempt(vertx, what, deadline, check, done, ar.failed() ? ar.cause() : last));
      }
    });
  }
}
