package io.steward.store;

/**
 * The store could not do what was asked; the message says why and what to do. Thrown to Hazelcast from a
 * write while the database is down, Hazelcast keeps the write in its write-behind queue and tries again.
 */
final class StoreException extends RuntimeException {

  public StoreException(String message) {
    super(message);
  }

  public StoreException(String message, Throwable cause) {
    super(message, cause);
  }

  private StoreException(String message, boolean trace) {
    super(message, null, false, trace);
  }

  static StoreException withoutTrace(String message) {
    return new StoreException(message, false);
  }
}
