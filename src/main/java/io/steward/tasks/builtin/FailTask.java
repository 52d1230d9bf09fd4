package io.steward.tasks.builtin;

import io.steward.bus.Fields;
import io.steward.tasks.TaskContext;
import io.steward.tasks.TaskFailure;
import io.steward.tasks.TaskType;

/** {@code fail}: payload {@code {message?}}; fails at once with that message (for demos and tests). */
public final class FailTask implements TaskType {

  static final String DEFAULT_MESSAGE = "failed on purpose (task type 'fail')";

  @Override
  public String name() {
    return "fail";
  }

  @Override
  public void validate(Object payload) {
    message(payload);
  }

  private static String message(Object payload) {
    Fields f = Payloads.of(payload, false);
    String message = f.string("message", DEFAULT_MESSAGE, 10_000);
    f.done();
    return message;
  }

  @Override
  public Object run(TaskContext context) throws TaskFailure {
    throw new TaskFailure(message(context.payload()));
  }
}
