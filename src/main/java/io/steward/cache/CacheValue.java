package io.steward.cache;

import com.hazelcast.nio.ObjectDataInput;
import com.hazelcast.nio.ObjectDataOutput;
import com.hazelcast.nio.serialization.DataSerializable;
import io.steward.spi.Tombstone;

import java.io.EOFException;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.util.Arrays;
import java.util.UUID;
import java.util.concurrent.ThreadLocalRandom;

/**
 * What a cache map holds for a key: the value as JSON text, and the ids of the last atomic updates applied
 * to it (most recent last). The ids travel with the value — to the backups, through migrations — so an
 * update Hazelcast retries after a member loss finds its own id and is not applied twice. Every write of the
 * key keeps them ({@link #replacing}); only removing the entry (delete, expiry, eviction, clear) forgets them. Each id is kept as
 * a 122-bit hash (16 bytes, a name-based UUID), whatever its length.
 *
 * <p>Every write also stamps the entry with a <em>version</em>, one more than the copy it replaced (a per-key Lamport
 * counter: a write made after another, on any member, has a higher one), and the writer's clock ({@code stamp}, ms),
 * so that a split-brain merge keeps the later copy ({@link VersionMergePolicy}). A delete leaves a <em>tombstone</em>
 * in the key's place ({@link #tombstone(CacheValue, long)}: no value, no update ids, the next version) for
 * {@code cache.tombstoneSeconds}, so that a copy from the other side of a split, older than the delete, cannot fill
 * the key again. A tombstone is never returned, counted or stored as a value ({@link #live}).
 *
 * <p>Every write also draws a random id, and the entry keeps the ids of its last {@value #LINEAGE} writes, its own
 * last (its <em>lineage</em>): a copy whose lineage holds, at the other copy's version, the other copy's id was
 * written on top of it ({@link #descendsFrom}), which a merge with {@code cluster.minimumSize} uses to keep the copy
 * that only adds writes to the other ({@link MajorityMergePolicy}).
 *
 * <p>Immutable once built. {@link DataSerializable} (no registration needed on the members); the decoded
 * JSON is kept in a transient field so a near cache, which holds this object as it is, decodes once.
 */
final class CacheValue implements DataSerializable, Tombstone {

  private static final long[] NO_OPS = new long[0];
  private static final int[] NO_LINEAGE = new int[0];
  /** How many writes back a copy knows its ancestors ({@link #descendsFrom}). */
  static final int LINEAGE = 32;

  /** The JSON text; null in a tombstone. */
  private String json;
  /** Two longs per remembered operation id (its hash), oldest first. */
  private long[] ops;
  private long version;
  private long stamp;
  /** The ids of the last writes, this copy's own last; empty for a copy read from a row written before lineages. */
  private int[] lineage = NO_LINEAGE;
  private transient volatile Object decoded;

  /** For deserialization only. */
  public CacheValue() {
  }

  private CacheValue(String json, long[] ops, long version, long stamp, int[] lineage) {
    this.json = json;
    this.ops = ops == null ? NO_OPS : ops;
    this.version = version;
    this.stamp = stamp;
    this.lineage = lineage;
  }

  /** A value with no history (tests, and the value a computation hands its callers). */
  static CacheValue of(String json) {
    return new CacheValue(json, NO_OPS, 1, 0, lineageAfter(null));
  }

  /** The value itself, or null when there is none or it is a tombstone: what every reader sees. */
  static CacheValue live(CacheValue v) {
    return v == null || v.tombstone() ? null : v;
  }

  /**
   * {@code json} as the key's new value, written at {@code stamp}, remembering the update ids {@code current}
   * remembers (none when the key has no entry, or a tombstone): a plain write between an update and its retry must
   * not make the retry look new.
   */
  static CacheValue replacing(CacheValue current, String json, long stamp) {
    CacheValue live = live(current);
    return new CacheValue(json, live == null ? NO_OPS : live.ops, versionAfter(current), stamp, lineageAfter(current));
  }

  /** What a delete at {@code stamp} leaves in the place of {@code current}. */
  static CacheValue tombstone(CacheValue current, long stamp) {
    return new CacheValue(null, NO_OPS, versionAfter(current), stamp, lineageAfter(current));
  }

  private static long versionAfter(CacheValue current) {
    return current == null ? 1 : current.version + 1;
  }

  /** The lineage of a write on top of {@code current} (none: a fresh one): its ids and a new one, the last {@value #LINEAGE}. */
  private static int[] lineageAfter(CacheValue current) {
    int[] before = current == null ? NO_LINEAGE : current.lineage;
    int keep = Math.min(before.length, LINEAGE - 1);
    int[] next = Arrays.copyOfRange(before, before.length - keep, before.length + 1);
    int id;
    do {
      id = ThreadLocalRandom.current().nextInt();
    } while (id == 0);
    next[keep] = id;
    return next;
  }

  /**
   * Whether this copy was written on top of {@code other}: it is newer, and its lineage holds {@code other}'s own id at
   * {@code other}'s version. False when that is not known: {@code other} more than {@value #LINEAGE} - 1 writes back,
   * or a copy without a lineage (read from a row written before lineages). Ids are random 32-bit numbers: two copies
   * written apart share one at the same version once in four billion.
   */
  boolean descendsFrom(CacheValue other) {
    long back = version - other.version;
    if (back <= 0 || back >= lineage.length || other.lineage.length == 0) {
      return false;
    }
    return lineage[lineage.length - 1 - (int) back] == other.lineage[other.lineage.length - 1];
  }

  @Override
  public boolean tombstone() {
    return json == null;
  }

  long version() {
    return version;
  }

  long stamp() {
    return stamp;
  }

  /**
   * Whether this copy wins a split-brain merge against {@code other}: the higher version (more writes since the
   * copies parted), then the later stamp; on a full tie, neither.
   */
  boolean newerThan(CacheValue other) {
    if (version != other.version) {
      return version > other.version;
    }
    return stamp > other.stamp;
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

  /**
   * The value after an update of {@code current} (null, or a tombstone: none) written at {@code stamp}, remembering
   * {@code opId} too and forgetting the oldest ids beyond {@code remember}.
   */
  static CacheValue next(CacheValue current, String newJson, String opId, int remember, long stamp) {
    long[] ops = live(current) == null ? NO_OPS : current.ops;
    int keep = Math.min(ops.length / 2, Math.max(0, remember - 1));
    long[] next = Arrays.copyOfRange(ops, ops.length - 2 * keep, ops.length + 2);
    UUID h = hash(opId);
    next[2 * keep] = h.getMostSignificantBits();
    next[2 * keep + 1] = h.getLeastSignificantBits();
    return new CacheValue(newJson, next, versionAfter(current), stamp, lineageAfter(current));
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
    out.writeLong(version);
    out.writeLong(stamp);
    out.writeIntArray(lineage);
  }

  @Override
  public void readData(ObjectDataInput in) throws IOException {
    json = in.readString();
    ops = in.readLongArray();
    if (ops == null || ops.length == 0) {
      ops = NO_OPS;
    }
    try {
      version = in.readLong();
      stamp = in.readLong();
    } catch (EOFException e) {
      // Written before values had versions (a row persisted by an older Steward): the first version, no time.
      version = 1;
      stamp = 0;
      return;
    }
    try {
      int[] read = in.readIntArray();
      lineage = read == null ? NO_LINEAGE : read;
    } catch (EOFException e) {
      lineage = NO_LINEAGE; // written before lineages: descent unknown
    }
  }

  @Override
  public String toString() {
    return json == null ? "(deleted, version " + version + ")" : json;
  }
}
