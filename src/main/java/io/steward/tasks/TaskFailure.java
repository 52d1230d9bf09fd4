package io.steward.tasks;

/**
 * Thrown by a handler to fail its task with exactly this message (other exceptions are reported with their
 * class name in front). No stack trace is kept: it is an outcome, not a bug.
 */
public class TaskFailure extends Exception {

  public TaskFailure(String message) {
    super(message, null, false, false);
  }
}
