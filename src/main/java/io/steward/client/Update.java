package io.steward.client;

import io.vertx.core.json.JsonObject;

/**
 * An atomic update of a cache entry (docs/cache.md): add a number ({@link #increment}) or merge fields into an
 * object ({@link #merge}).
 */
public final class Update {

  private final JsonObject json;

  private Update(JsonObject json) {
    this.json = json;
  }

  /** Adds {@code delta}; a missing entry starts from 0. */
  public static Update increment(Number delta) {
    return new Update(new JsonObject().put("increment", delta));
  }

  /** Adds {@code delta}; a missing entry starts from {@code initial}. */
  public static Update increment(Number delta, Number initial) {
    return new Update(new JsonObject().put("increment", delta).put("initial", initial));
  }

  /** Merges the fields of {@code patch} into the entry (a missing entry starts from {@code {}}). */
  public static Update merge(JsonObject patch) {
    return new Update(new JsonObject().put("merge", patch.copy()));
  }

  JsonObject toJson() {
    return json.copy();
  }
}
