package io.steward.node;

/** The node could not start (cluster join, a module, a port); the message says which and why. */
final class StartupException extends RuntimeException {

  public StartupException(String message, Throwable cause) {
    super(message, cause);
  }
}
