package io.steward.client;

/** A submitted task's id; {@code existing} when the request's key was held by a task already (docs/tasks.md). */
public record Submitted(String id, boolean existing) {
}
