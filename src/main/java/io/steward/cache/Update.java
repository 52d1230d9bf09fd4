package io.steward.cache;

import io.vertx.core.json.Json;
import io.vertx.core.json.JsonObject;

/**
 * An atomic update, the pure part: what {@link Processors.Apply} does to an entry on its owner. Applying the
 * same operation id twice changes nothing the second time ({@link Outcome#duplicate}).
 *
 * @param kind    {@code increment} (add {@code arg}, a number, to a number) or {@code merge} (RFC 7386 merge
 *                patch {@code arg}, an object, into an object)
 * @param arg     the JSON text of the number or patch
 * @param initial for increment: the JSON text of the number a missing entry starts from
 */
record Update(String opId, String kind, String arg, String initial) {

  static final String INCREMENT = "increment";
  static final String MERGE = "merge";

  /**
   * What happened: the entry's new value, or (duplicate) its current value when this operation id was
   * already applied, or a refusal: {@code failure} 409 when the current value does not allow the operation,
   * 400 when the result would be larger than the cache allows. A refusal changes nothing.
   */
  record Outcome(CacheValue value, boolean duplicate, int failure, String message) {
    boolean refused() {
      return failure != 0;
    }
  }

  /**
   * Applies the update to {@code current} (null, or a tombstone: no entry) as a write at {@code stamp} (the
   * writer's clock, the same on the owner and its backups).
   */
  Outcome apply(CacheValue current, int remember, int maxValueBytes, long stamp) {
    CacheValue live = CacheValue.live(current);
    if (live != null && live.applied(opId)) {
      return new Outcome(live, true, 0, null);
    }
    Object now = live == null ? null : live.value();
    Object next;
    try {
      if (INCREMENT.equals(kind)) {
        next = JsonValues.increment(now, (Number) Json.decodeValue(arg), (Number) Json.decodeValue(initial));
      } else if (MERGE.equals(kind)) {
        next = JsonValues.merge(now, new JsonObject(arg));
      } else {
        throw new IllegalStateException("unknown update kind " + kind);
      }
    } catch (JsonValues.Conflict c) {
      return new Outcome(current, false, 409, c.getMessage());
    }
    String json = Json.encode(next);
    int bytes = JsonValues.utf8Length(json);
    if (bytes > maxValueBytes) {
      return new Outcome(current, false, 400, "the result would be " + bytes + " bytes of JSON, over the limit of "
        + maxValueBytes + " bytes (maxValueBytes)");
    }
    return new Outcome(CacheValue.next(current, json, opId, remember, stamp), false, 0, null);
  }
}
