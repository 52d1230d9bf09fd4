package io.steward.cache;

import com.hazelcast.nio.ObjectDataInput;
import com.hazelcast.nio.ObjectDataOutput;
import com.hazelcast.nio.serialization.DataSerializable;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.util.Arrays;
import java.util.UUID;

/**
 * What a cache map holds for a key: the value as JSON text, and the ids of the last atomic updates applied
 * to it (most recent last). The ids travel with the value — to the backups, through migrations — so an
 * update Hazelcast retries after a member loss finds its own id and is not applied twice. Every write of the
 * key keeps them ({@link #replacing}); only removing the entry (delete, expiry, eviction, clear) forgets them. Each id is kept as
 * a 122-bit hash (16 bytes, a name-based UUID), whatever its length.
 *
 * <p>Immutable once built. {@link DataSerializable} (no registration needed on the members); the decoded
 * JSON is kept in a transient field so a near cache, which holds this object as it is, decodes once.
 */
final class CacheValue implements DataSerializable {

  private static final long[] NO_OPS = new long[0];

  private String json;
  /** Two longs per remembered operation id (its hash), oldest first. */
  private long[] ops;
  private transient volatile Object decoded;

  /** For deserialization only. */
  public CacheValue() {
  }

  CacheValue(String json, long[] ops) {
    this.json = json;
    this.ops = ops == null ? NO_OPS : ops;
  }

  static CacheValue of(String json) {
    return new CacheValue(json, NO_OPS);
  }

  /**
   * {@code json} as the key's new value, remembering the update ids {@code current} remembers (none when the key
   * has no entry): a plain write between an update and its retry must not make the retry look new.
   */
  static CacheValue replacing(CacheValue current, String json) {
    return new CacheValue(json, current == null ? NO_OPS : current.ops);
  }

  String json() {
    return json;
  }

  /** The value as Vert.x JSON (object, array, string, number, boolean). Do not modify it: it may be shared. */
  Object value() {
    Object v = decoded;
    if (v == null) {
      v = JsonValues.decode(json);
      decoded = v;
    }
    return v;
  }

  boolean applied(String opId) {
    UUID h = hash(opId);
    long hi = h.getMostSignificantBits();
    long lo = h.getLeastSignificantBits();
    for (int i = ops.length - 2; i >= 0; i -= 2) {
      if (ops[i] == hi && ops[i + 1] == lo) {
        return true;
      }
    }
    return false;
  }

  /** A new value that remembers {@code opId} too, forgetting the oldest ids beyond {@code remember}. */
  CacheValue next(String newJson, String opId, int remember) {
    int keep = Math.min(ops.length / 2, Math.max(0, remember - 1));
    long[] next = Arrays.copyOfRange(ops, ops.length - 2 * keep, ops.length + 2);
    UUID h = hash(opId);
    next[2 * keep] = h.getMostSignificantBits();
    next[2 * keep + 1] = h.getLeastSignificantBits();
    return new CacheValue(newJson, next);
  }

  private static UUID hash(String opId) {
    return UUID.nameUUIDFromBytes(opId.getBytes(StandardCharsets.UTF_8));
  }

  int rememberedOps() {
    return ops.length / 2;
  }

  @Override
  public void writeData(ObjectDataOutput out) throws IOException {
    out.writeString(json);
    out.writeLongArray(ops);
  }

  @Override
  public void readData(ObjectDataInput in) throws IOException {
    json = in.readString();
    ops = in.readLongArray();
    if (ops == null || ops.length == 0) {
      ops = NO_OPS;
    }
  }

  @Override
  public String toString() {
    return json;
  }
}
