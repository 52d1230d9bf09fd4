package io.steward.cache;

import com.hazelcast.nio.ObjectDataInput;
import com.hazelcast.nio.ObjectDataOutput;
import com.hazelcast.nio.serialization.DataSerializable;

import java.io.IOException;
import java.util.Arrays;

/**
 * What a cache map holds for a key: the value as JSON text, and the ids of the last atomic updates applied
 * to it (most recent last). The ids travel with the value — to the backups, through migrations — so an
 * update Hazelcast retries after a member loss finds its own id and is not applied twice.
 *
 * <p>Immutable once built. {@link DataSerializable} (no registration needed on the members); the decoded
 * JSON is kept in a transient field so a near cache, which holds this object as it is, decodes once.
 */
public final class CacheValue implements DataSerializable {

  private static final String[] NO_OPS = new String[0];

  private String json;
  private String[] ops;
  private transient volatile Object decoded;

  /** For deserialization only. */
  public CacheValue() {
  }

  CacheValue(String json, String[] ops) {
    this.json = json;
    this.ops = ops == null ? NO_OPS : ops;
  }

  static CacheValue of(String json) {
    return new CacheValue(json, NO_OPS);
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
    for (int i = ops.length - 1; i >= 0; i--) {
      if (ops[i].equals(opId)) {
        return true;
      }
    }
    return false;
  }

  /** A new value that remembers {@code opId} too, forgetting the oldest ids beyond {@code remember}. */
  CacheValue next(String newJson, String opId, int remember) {
    int keep = Math.min(ops.length, Math.max(0, remember - 1));
    String[] next = Arrays.copyOfRange(ops, ops.length - keep, ops.length + 1);
    next[keep] = opId;
    return new CacheValue(newJson, next);
  }

  int rememberedOps() {
    return ops.length;
  }

  @Override
  public void writeData(ObjectDataOutput out) throws IOException {
    out.writeString(json);
    out.writeInt(ops.length);
    for (String op : ops) {
      out.writeString(op);
    }
  }

  @Override
  public void readData(ObjectDataInput in) throws IOException {
    json = in.readString();
    int n = in.readInt();
    ops = n == 0 ? NO_OPS : new String[n];
    for (int i = 0; i < n; i++) {
      ops[i] = in.readString();
    }
  }

  @Override
  public String toString() {
    return json;
  }
}
