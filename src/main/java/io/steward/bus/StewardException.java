package io.steward.bus;

/**
 * A failure with one of Steward's codes. Thrown inside handlers wrapped by {@link Endpoint}, it becomes a
 * {@code ReplyException} with the same code and message; it never reaches the log as an error.
 *
 * <p>Convention: when one field is at fault the message starts with its path, {@code "timeoutMs: must be
 * at least 1, got -5"}, so HTTP can report the field and bus clients can parse it.
 */
public final class StewardException extends RuntimeException {

  private final Failure failure;
  private final String field;

  public StewardException(Failure failure, String message) {
    this(failure, null, message);
  }

  private StewardException(Failure failure, String field, String message) {
    super(field == null ? message : field + ": " + message, null, false, false);
    this.failure = failure;
    this.field = field;
  }

  public static StewardException badRequest(String field, String reason) {
    return new StewardException(Failure.BAD_REQUEST, field, reason);
  }

  public static StewardException badRequest(String message) {
    return new StewardException(Failure.BAD_REQUEST, message);
  }

  /** A 403: the door the request came through does not permit {@code field}'s address (see {@link Door}). */
  public static StewardException forbidden(String field, String reason) {
    return new StewardException(Failure.FORBIDDEN, field, reason);
  }

  public static StewardException notFound(String what) {
    return new StewardException(Failure.NOT_FOUND, what);
  }

  public static StewardException conflict(String message) {
    return new StewardException(Failure.CONFLICT, message);
  }

  public static StewardException overCapacity(String message) {
    return new StewardException(Failure.OVER_CAPACITY, message);
  }

  public static StewardException timeout(String message) {
    return new StewardException(Failure.TIMEOUT, message);
  }

  public static StewardException unavailable(String message) {
    return new StewardException(Failure.UNAVAILABLE, message);
  }

  public static StewardException indeterminate(String message) {
    return new StewardException(Failure.INDETERMINATE, message);
  }

  public Failure failure() {
    return failure;
  }

  /** The path of the offending field, or null when the failure is not about one field. */
  public String field() {
    return field;
  }
}
