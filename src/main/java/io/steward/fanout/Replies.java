package io.steward.fanout;

import io.vertx.core.buffer.Buffer;
import io.vertx.core.eventbus.ReplyException;
import io.vertx.core.eventbus.ReplyFailure;
import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;

import java.util.LinkedHashMap;

/** How a reply (or a failed request) to one item becomes its result entry. */
final class Replies {

  private Replies() {
  }

  /**
   * The failure code of a failed request: 503 when no handler is registered, 408 when no reply came in time,
   * the target's own code when it failed the message, 500 otherwise.
   */
  static int code(Throwable err) {
    if (err instanceof ReplyException re) {
      if (re.failureType() == ReplyFailure.NO_HANDLERS) {
        return 503;
      }
      if (re.failureType() == ReplyFailure.TIMEOUT) {
        return 408;
      }
      if (re.failureType() == ReplyFailure.RECIPIENT_FAILURE) {
        return re.failureCode();
      }
    }
    return 500;
  }

  /** An item whose request failed with {@code code} ended {@code timed-out} (408) or {@code failed}. */
  static Status status(int code) {
    return code == 408 ? Status.TIMED_OUT : Status.FAILED;
  }

  /** {@code {code, message}} for a failed request to {@code address}. */
  static JsonObject error(Throwable err, String address, long timeoutMs) {
    int code = code(err);
    String message;
    if (err instanceof ReplyException re && re.failureType() == ReplyFailure.TIMEOUT) {
      message = "no reply from " + address + " within " + timeoutMs + " ms; it may still act on the request";
    } else if (err instanceof ReplyException re && re.failureType() == ReplyFailure.NO_HANDLERS) {
      message = "no handler for " + address + " on any node";
    } else {
      message = err.getMessage() == null ? err.getClass().getSimpleName() : err.getMessage();
    }
    return error(code, message);
  }

  static JsonObject error(int code, String message) {
    LinkedHashMap<String, Object> map = new LinkedHashMap<>(4);
    map.put("code", code);
    map.put("message", message);
    return new JsonObject(map);
  }

  /** A reply body as a JSON value: JSON types as they are, a buffer as its text, anything else as a string. */
  static Object json(Object body) {
    if (body == null || body instanceof JsonObject || body instanceof String || body instanceof Number
      || body instanceof Boolean || body instanceof JsonArray) {
      return body;
    }
    if (body instanceof Buffer b) {
      return b.toString();
    }
    return String.valueOf(body);
  }

  /** A small JSON object with room for {@code fields} entries without resizing. */
  static JsonObject object(int fields) {
    return new JsonObject(new LinkedHashMap<>(fields * 4 / 3 + 2));
  }
}
