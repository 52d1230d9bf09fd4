package io.steward.bus;

import io.vertx.core.eventbus.ReplyException;
import io.vertx.core.eventbus.ReplyFailure;

/**
 * The failure codes Steward answers with, on the event bus (as the {@link ReplyException#failureCode()})
 * and over HTTP (as the status). Each says whether a caller may retry and whether the operation may
 * already have taken effect, so a client can decide without reading prose.
 */
public enum Failure {
  BAD_REQUEST(400, false, false, "the request is malformed or a field is invalid; fix it, do not retry as is"),
  FORBIDDEN(403, false, false, "a door (bridge, HTTP) does not permit the address the request names; see docs/security.md"),
  NOT_FOUND(404, false, false, "the id, name, type or cache does not exist"),
  TIMEOUT(408, true, true, "no answer in time; the operation may still complete, so retry only if it is idempotent"),
  CONFLICT(409, false, false, "the state changed under you (compare-and-set lost, name taken); re-read, then decide"),
  OVER_CAPACITY(429, true, false, "a queue or limit is full; nothing was applied; retry after a backoff"),
  HANDLER_FAILED(500, false, true, "the handler failed while running; it may have partly applied"),
  UNAVAILABLE(503, true, false, "the module is not deployed on any node, is starting or shutting down, or refuses for now (this side of a split is "
    + "below cluster.minimumSize; a cache key or task key whose every copy this side lost; a keyed submit at a node that stalled "
    + "lately); nothing was applied"),
  INDETERMINATE(504, true, true, "a member was lost mid-operation, or the node answering is shutting down: the outcome is unknown; read before retrying (through another node)");

  private final int code;
  private final boolean retryable;
  private final boolean mayHaveApplied;
  private final String meaning;

  Failure(int code, boolean retryable, boolean mayHaveApplied, String meaning) {
    this.code = code;
    this.retryable = retryable;
    this.mayHaveApplied = mayHaveApplied;
    this.meaning = meaning;
  }

  public int code() {
    return code;
  }

  public boolean retryable() {
    return retryable;
  }

  public boolean mayHaveApplied() {
    return mayHaveApplied;
  }

  public String meaning() {
    return meaning;
  }

  /** The failure for a code, or {@link #HANDLER_FAILED} for a code Steward does not define. */
  public static Failure ofCode(int code) {
    for (Failure f : values()) {
      if (f.code == code) {
        return f;
      }
    }
    return HANDLER_FAILED;
  }

  /**
   * What a failed request means in Steward's terms: Vert.x's own NO_HANDLERS and TIMEOUT become 503 and
   * 408, a recipient's code is kept when Steward defines it, anything else is a 500.
   */
  public static Failure of(Throwable error) {
    if (error instanceof StewardException se) {
      return se.failure();
    }
    if (error instanceof ReplyException re) {
      if (re.failureType() == ReplyFailure.NO_HANDLERS) {
        return UNAVAILABLE;
      }
      if (re.failureType() == ReplyFailure.TIMEOUT) {
        return TIMEOUT;
      }
      return ofCode(re.failureCode());
    }
    return HANDLER_FAILED;
  }
}
