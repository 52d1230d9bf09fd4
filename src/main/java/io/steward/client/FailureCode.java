package io.steward.client;

/**
 * The failure codes Steward answers with (docs/reference.md, "Failure codes"): on the bus as the reply's failure
 * code, over HTTP as the status. Each says whether a retry is sensible and whether the failed call may already
 * have taken effect. A test keeps this table equal to the nodes' own.
 */
public enum FailureCode {
  BAD_REQUEST(400, false, false),
  FORBIDDEN(403, false, false),
  NOT_FOUND(404, false, false),
  TIMEOUT(408, true, true),
  CONFLICT(409, false, false),
  OVER_CAPACITY(429, true, false),
  HANDLER_FAILED(500, false, true),
  UNAVAILABLE(503, true, false),
  INDETERMINATE(504, true, true);

  private final int code;
  private final boolean retryable;
  private final boolean mayHaveApplied;

  FailureCode(int code, boolean retryable, boolean mayHaveApplied) {
    this.code = code;
    this.retryable = retryable;
    this.mayHaveApplied = mayHaveApplied;
  }

  public int code() {
    return code;
  }

  /** Whether the same call may succeed if sent again later (after a backoff). */
  public boolean retryable() {
    return retryable;
  }

  /** Whether the call may have taken effect although it failed: read before retrying anything not idempotent. */
  public boolean mayHaveApplied() {
    return mayHaveApplied;
  }

  /** The failure for a code; {@link #HANDLER_FAILED} for a code Steward does not define (a handler's own code). */
  public static FailureCode of(int code) {
    for (FailureCode f : values()) {
      if (f.code == code) {
        return f;
      }
    }
    return HANDLER_FAILED;
  }
}
