package io.steward.tasks;

/** How one attempt of a task ended. Only {@link #SUCCEEDED} is a normal end. */
enum Outcome {
  SUCCEEDED, FAILED, TIMED_OUT,
  /** The node running it died (durable tasks are re-run by a survivor). */
  NODE_LOST;

  public boolean normal() {
    return this == SUCCEEDED;
  }

  /** The final state a task takes when this attempt is its last. */
  public TaskState finalState() {
    return switch (this) {
      case SUCCEEDED -> TaskState.SUCCEEDED;
      case FAILED -> TaskState.FAILED;
      case TIMED_OUT -> TaskState.TIMED_OUT;
      case NODE_LOST -> TaskState.LOST;
    };
  }
}
