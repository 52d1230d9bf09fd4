package io.steward.tasks;

import io.steward.bus.Failure;
import io.steward.bus.StewardException;
import io.vertx.core.Future;
import io.vertx.core.json.JsonObject;

/**
 * The answer to {@code run} and {@code await} from a task's final record: the record when it succeeded,
 * else the failure code of how it ended — 500 failed (the message is the task's error), 408 timed out,
 * 409 cancelled, 504 lost with its node (the outcome is unknown), 503 refused when it was submitted (this cluster does
 * not run it: submit it again). A task that reached its restart limit
 * answers as its last attempt ended.
 */
final class Replies {

  private Replies() {
  }

  static Future<JsonObject> outcome(JsonObject record) {
    TaskState state = TaskState.of(record.getString("state"));
    String id = record.getString("id");
    String error = record.getString("error", "");
    return switch (state) {
      case SUCCEEDED -> Future.succeededFuture(record);
      case FAILED -> Future.failedFuture(new StewardException(
        "TIMED_OUT".equals(record.getString("outcome")) ? Failure.TIMEOUT : Failure.HANDLER_FAILED, error));
      case TIMED_OUT -> Future.failedFuture(StewardException.timeout("task " + id + " " + error));
      case CANCELLED -> Future.failedFuture(StewardException.conflict("task " + id + " was cancelled"));
      case LOST -> Future.failedFuture(StewardException.indeterminate("task " + id + " was lost: " + error));
      case REFUSED -> Future.failedFuture(StewardException.unavailable("task " + id + " was refused when it was submitted ("
        + error + "); the cluster does not run it: submit it again"));
      default -> Future.failedFuture(new IllegalStateException("task " + id + " is not final: " + state.wire()));
    };
  }
}
