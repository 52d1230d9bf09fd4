package io.steward.tasks.builtin;

import io.steward.bus.Fields;
import io.steward.tasks.TaskContext;
import io.steward.tasks.TaskType;
import io.vertx.core.json.JsonObject;

/**
 * {@code sleep}: payload {@code {ms}}; sleeps that long on its worker (interruptibly: a timeout or cancel stops
 * it at once), result {@code {sleptMs}}.
 */
public final class SleepTask implements TaskType {

  static final long MAX_MS = 86_400_000L;

  @Override
  public String name() {
    return "sleep";
  }

  @Override
  public void validate(Object payload) {
    read(payload);
  }

  private static long read(Object payload) {
    Fields f = Payloads.of(payload, true);
    Long ms = f.optionalLong("ms", 0, MAX_MS);
    if (ms == null) {
      throw f.bad("ms", "is required");
    }
    f.done();
    return ms;
  }

  @Override
  public Object run(TaskContext context) throws InterruptedException {
    long ms = read(context.payload());
    Thread.sleep(ms);
    return new JsonObject().put("sleptMs", ms);
  }
}
