package io.steward.client;

/**
 * An update's answer: the entry's new value, the update's {@code opId}, and {@code duplicate} when an update with
 * that {@code opId} had been applied already (a retry: applied once, not twice).
 */
public record Updated(Object value, String opId, boolean duplicate) {
}
