package io.steward.tasks;

import io.steward.bus.Fields;

/**
 * A submitted task as asked for: the body of {@code steward.tasks.submit} and {@code steward.tasks.run},
 * {@code {type, payload?, supervisor?, restart?, maxRestarts?, withinMs?, timeoutMs?, key?}}. Parsing only
 * checks shapes and ranges; whether the type and supervisor exist is the engine's business (404).
 */
public record TaskSpec(String type, Object payload, String supervisor, Restart restart, int maxRestarts,
                       long withinMs, Long timeoutMs, String key) {

  static final long MAX_MS = 86_400_000L;

  /** @param maxRestarts default when the body has none; {@code withinMs} likewise */
  static TaskSpec parse(Object body, int maxRestarts, long withinMs) {
    Fields f = Fields.of(body);
    String type = f.string("type", null, 100);
    if (type == null) {
      throw f.bad("type", "is required (a task type, e.g. echo, sleep, fail, bus)");
    }
    TaskSpec spec = new TaskSpec(type,
      f.value("payload"),
      f.string("supervisor", SupervisorConfig.DEFAULT, 64),
      Restart.of(f.oneOf("restart", "temporary", Restart.NAMES)),
      f.integer("maxRestarts", maxRestarts, 0, 1_000),
      f.longValue("withinMs", withinMs, 1, MAX_MS),
      f.optionalLong("timeoutMs", 1, MAX_MS),
      f.string("key", null, 200));
    f.done();
    return spec;
  }

  public boolean durable() {
    return restart.durable();
  }
}
