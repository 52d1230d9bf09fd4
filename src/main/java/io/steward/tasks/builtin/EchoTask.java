package io.steward.tasks.builtin;

import io.steward.tasks.TaskContext;
import io.steward.tasks.TaskType;

/** {@code echo}: the result is the payload (null when there is none). */
public final class EchoTask implements TaskType {

  @Override
  public String name() {
    return "echo";
  }

  @Override
  public Object run(TaskContext context) {
    return context.payload();
  }
}
