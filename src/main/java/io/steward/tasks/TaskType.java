package io.steward.tasks;

/**
 * A kind of task: Java code that runs on a supervisor's worker thread (or a virtual thread). Implementations
 * are found with {@link java.util.ServiceLoader} ({@code META-INF/services/io.steward.tasks.TaskType}) or
 * registered with {@link TaskTypes#register(TaskType)} by an application that embeds Steward. Every node
 * that runs the {@code tasks} module should know the same types: a submit may land on any of them, and a
 * survivor re-runs the durable tasks of a node that died.
 *
 * <p>A handler should answer to interruption ({@link Thread#interrupted()}, blocking calls throwing
 * {@link InterruptedException}): that is how a timeout or a cancel stops it. One that ignores interruption
 * keeps its thread until it returns, and is counted as a zombie meanwhile.
 */
public interface TaskType {

  /** The name used in {@code {type: …}}: letters, digits, {@code . _ : -}, at most 100 characters. */
  String name();

  /**
   * Checks a payload when the task is submitted, so a bad one is refused with a 400 before anything runs.
   * Throw {@link io.steward.bus.StewardException#badRequest(String, String)} naming the field as
   * {@code payload.<field>}.
   */
  default void validate(Object payload) {
  }

  /**
   * A task submitted through a door (a bridge, HTTP; see {@link io.steward.bus.Door}): a type that sends to an
   * address named in its payload checks it here ({@link io.steward.bus.Door#check}, a 403) and returns the
   * payload to keep, carrying the door so that what it sends is held to the same rule. By default the payload is
   * kept as it is.
   */
  default Object throughDoor(Object payload, io.steward.bus.Door door) {
    return payload;
  }

  /**
   * Runs one attempt. Returns the result: a JSON value (JsonObject, JsonArray, String, Number, Boolean, a Map
   * or List of those) or null, or a Vert.x {@code Future} / {@code CompletionStage} of one, which the worker
   * awaits. Throwing (or a failed future) fails the attempt; the error's message is the task's error.
   */
  Object run(TaskContext context) throws Exception;

  /** The body of a type made from a function: {@code TaskTypes.register(TaskType.of("resize", ctx -> …))}. */
  @FunctionalInterface
  interface Body {
    Object run(TaskContext context) throws Exception;
  }

  /** A type from its name and its body (no payload check at submit). */
  static TaskType of(String name, Body body) {
    return new TaskType() {
      @Override
      public String name() {
        return name;
      }

      @Override
      public Object run(TaskContext context) throws Exception {
        return body.run(context);
      }
    };
  }
}
