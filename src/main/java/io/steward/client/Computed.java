package io.steward.client;

/** A {@code getOrCompute} answer: the value, and whether this call's computation made it. */
public record Computed(Object value, boolean computed) {
}
