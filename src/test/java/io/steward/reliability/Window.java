package io.steward.reliability;

import io.vertx.core.Future;
import io.vertx.core.Promise;

import java.util.concurrent.atomic.AtomicInteger;
import java.util.function.IntFunction;

/** Runs {@code count} asynchronous operations with at most {@code inFlight} at a time (a sliding window). */
final class Window {

  private Window() {
  }

  /** Completes when every operation has completed, whatever its outcome (each records its own). */
  static Future<Void> run(int count, int inFlight, IntFunction<Future<?>> operation) {
    Promise<Void> done = Promise.promise();
    if (count == 0) {
      return Future.succeededFuture();
    }
    AtomicInteger next = new AtomicInteger();
    AtomicInteger finished = new AtomicInteger();
    for (int w = 0; w < Math.min(inFlight, count); w++) {
      step(count, next, finished, operation, done);
    }
    return done.future();
  }

  private static void step(int count, AtomicInteger next, AtomicInteger finished, IntFunction<Future<?>> operation,
                           Promise<Void> done) {
    for (;;) { // a loop, not recursion, for operations that complete at once
      int i = next.getAndIncrement();
      if (i >= count) {
        return;
      }
      Future<?> f;
      try {
        f = operation.apply(i);
      } catch (RuntimeException e) {
        f = Future.failedFuture(e);
      }
      if (f.isComplete()) {
        if (finished.incrementAndGet() == count) {
          done.tryComplete();
          return;
        }
        continue;
      }
      f.onComplete(ar -> {
        if (finished.incrementAndGet() == count) {
          done.tryComplete();
        } else {
          step(count, next, finished, operation, done);
        }
      });
      return;
    }
  }

  /**
   * Runs operations {@code 0, 1, 2, ...} with at most {@code inFlight} at a time for as long as {@code more} holds;
   * completes when it no longer does and every operation started has completed.
   */
  static Future<Void> runWhile(java.util.function.BooleanSupplier more, int inFlight, IntFunction<Future<?>> operation) {
    Promise<Void> done = Promise.promise();
    AtomicInteger next = new AtomicInteger();
    AtomicInteger lanes = new AtomicInteger(inFlight);
    for (int w = 0; w < inFlight; w++) {
      lane(more, next, lanes, operation, done);
    }
    return done.future();
  }

  private static void lane(java.util.function.BooleanSupplier more, AtomicInteger next, AtomicInteger lanes,
                           IntFunction<Future<?>> operation, Promise<Void> done) {
    if (!more.getAsBoolean()) {
      if (lanes.decrementAndGet() == 0) {
        done.tryComplete();
      }
      return;
    }
    Future<?> f;
    try {
      f = operation.apply(next.getAndIncrement());
    } catch (RuntimeException e) {
      f = Future.failedFuture(e);
    }
    f.onComplete(ar -> lane(more, next, lanes, operation, done));
  }
}
