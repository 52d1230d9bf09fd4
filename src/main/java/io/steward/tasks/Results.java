package io.steward.tasks;

import io.vertx.core.Future;
import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;

import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletionStage;
import java.util.concurrent.ExecutionException;

/** What a handler returned, made into a JSON value; what it threw, made into the task's error. */
final class Results {

  private Results() {
  }

  /** Waits (on the worker thread, interruptibly) for a Future or CompletionStage result. */
  static Object await(Object value) throws Exception {
    if (value instanceof Future<?> f) {
      return f.await();
    }
    if (value instanceof CompletionStage<?> s) {
      try {
        return s.toCompletableFuture().get();
      } catch (ExecutionException e) {
        throw e.getCause() instanceof Exception ex ? ex : e;
      }
    }
    return value;
  }

  /** The result as a JSON value; anything else fails the attempt with a message that says what it was. */
  static Object json(Object value) {
    if (value == null || value instanceof String || value instanceof Boolean || value instanceof JsonObject
      || value instanceof JsonArray) {
      return value;
    }
    if (value instanceof Number n) {
      double d = n.doubleValue();
      if (Double.isNaN(d) || Double.isInfinite(d)) {
        throw new IllegalArgumentException("the result is not a JSON number: " + n);
      }
      return n;
    }
    if (value instanceof Map<?, ?> m) {
      @SuppressWarnings("unchecked")
      Map<String, Object> map = (Map<String, Object>) m;
      return new JsonObject(map).copy();
    }
    if (value instanceof List<?> l) {
      return new JsonArray(List.copyOf(l)).copy();
    }
    throw new IllegalArgumentException("the result is not a JSON value but a " + value.getClass().getName());
  }

  /** The task's error: a {@link TaskFailure}'s message as is, else the exception's class and message. */
  static String message(Throwable t) {
    if (t instanceof TaskFailure) {
      return t.getMessage();
    }
    String m = t.getMessage();
    String name = t.getClass().getSimpleName();
    return m == null ? name : name + ": " + m;
  }
}
