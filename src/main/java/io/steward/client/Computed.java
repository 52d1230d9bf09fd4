package io.steward.client;

/** A {@code getOrCompute} answer: the value, and whether this call's computation made it. */
public record Computed(Object value, boolean computed) {

  /** The value as a {@code type} (mapped by Jackson databind unless it is one already). */
  public <T> T value(Class<T> type) {
    return Values.as(value, type);
  }
}
