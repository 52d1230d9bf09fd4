package io.steward.spi;

import java.util.function.Predicate;

/**
 * A Hazelcast map whose entries a module wants written to the node's store (docs/durability.md), so they
 * survive a full-cluster restart. Every full member configures the store for every module's maps, whatever
 * modules it runs: the map's partitions live on all of them.
 *
 * @param name the map's name ({@code steward.tasks.records})
 * @param keep which values are written: a value it refuses stays in memory only (e.g. a record of a temporary
 *             task). Called on Hazelcast's write-behind thread, never on a request path; it must be cheap,
 *             thread-safe and not touch Hazelcast.
 */
public record PersistentMap(String name, Predicate<Object> keep) {

  /** Every value of the map is written. */
  public static PersistentMap all(String name) {
    return new PersistentMap(name, v -> true);
  }

  /** Only the values {@code keep} accepts are written. */
  public static PersistentMap filtered(String name, Predicate<Object> keep) {
    return new PersistentMap(name, keep);
  }
}
