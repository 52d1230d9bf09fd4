package io.steward.spi;

/**
 * A value of a persisted map that may stand for a deleted key: a map that must not let a split-brain merge bring a
 * deleted key back keeps a small tombstone entry in its place for a while (hidden from its readers). The store
 * deletes the key's row when it is given a tombstone to write, and never writes the tombstone as a value.
 */
public interface Tombstone {

  /** Whether this value stands for a deleted key. */
  boolean tombstone();
}
