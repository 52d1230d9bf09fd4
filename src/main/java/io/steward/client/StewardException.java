package io.steward.client;

import io.vertx.core.eventbus.ReplyException;
import io.vertx.core.eventbus.ReplyFailure;

/**
 * Every failed call of {@link StewardClient} fails its future with this exception: the code Steward answered
 * with ({@link #code()}, e.g. 404), what it means ({@link #failure()}), whether to retry ({@link #retryable()})
 * and whether the call may have taken effect anyway ({@link #mayHaveApplied()}). Vert.x's own "no handler"
 * reads as 503 and its reply timeout as 408, as on the nodes.
 */
public final class StewardException extends RuntimeException {

  private final int code;
  private final FailureCode failure;
  private final String address;

  public StewardException(int code, String message, String address, Throwable cause) {
    super(code + " " + FailureCode.of(code).name() + (address == null ? "" : " from " + address) + ": " + message, cause);
    this.code = code;
    this.failure = FailureCode.of(code);
    this.address = address;
  }

  /** The exception for a failed request to {@code address}: a Steward code, or Vert.x's no-handler/timeout. */
  static StewardException from(Throwable error, String address) {
    if (error instanceof StewardException se) {
      return se;
    }
    if (error instanceof ReplyException re) {
      if (re.failureType() == ReplyFailure.NO_HANDLERS) {
        return new StewardException(503, "no node runs a handler for this address (is the module deployed?)",
          address, error);
      }
      if (re.failureType() == ReplyFailure.TIMEOUT) {
        return new StewardException(408, "no answer in time: " + re.getMessage(), address, error);
      }
      // A handler that failed without a code of its own (an exception, code -1) answers 500, as on the nodes.
      int code = re.failureCode() >= 100 ? re.failureCode() : 500;
      return new StewardException(code, String.valueOf(re.getMessage()), address, error);
    }
    return new StewardException(500, String.valueOf(error), address, error);
  }

  /** The code as answered (a handler of your own may answer a code Steward does not define). */
  public int code() {
    return code;
  }

  /** What the code means in Steward's table ({@link FailureCode#HANDLER_FAILED} for an unknown code). */
  public FailureCode failure() {
    return failure;
  }

  public boolean retryable() {
    return failure.retryable();
  }

  public boolean mayHaveApplied() {
    return failure.mayHaveApplied();
  }

  /** The address the failed request went to. */
  public String address() {
    return address;
  }
}
