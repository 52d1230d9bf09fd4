package io.steward.cache;

import com.hazelcast.core.HazelcastInstance;
import com.hazelcast.core.HazelcastInstanceAware;
import com.hazelcast.core.ReadOnly;
import com.hazelcast.map.EntryProcessor;
import com.hazelcast.map.ExtendedMapEntry;
import com.hazelcast.nio.ObjectDataInput;
import com.hazelcast.nio.ObjectDataOutput;
import com.hazelcast.nio.serialization.DataSerializable;
import com.hazelcast.query.Predicate;
import io.vertx.core.json.Json;

import java.io.IOException;
import java.util.Map;
import java.util.concurrent.TimeUnit;

/**
 * The entry processors of the cache: each runs on the key's owner, on the partition thread, atomically with
 * respect to every other operation on that key, and (unless read-only) again on each backup with the same
 * input, so they are deterministic: no clocks, no randomness (a write's time, {@code stamp}, is read by the node that
 * sends it). Results are plain {@code String[]}s. A tombstone ({@link CacheValue#tombstone(CacheValue, long)}, a
 * deleted key) is no entry to every one of them.
 *
 * <p>A TTL argument below 0 means "the cache's default", 0 "never expires" (Hazelcast's convention).
 */
final class Processors {

  static final String OK = "ok";
  static final String DUPLICATE = "duplicate";
  static final String REFUSED = "refused";
  static final String CLAIMED = "claimed";
  static final String WAITING = "waiting";
  static final String FAILED = "failed";

  private Processors() {
  }

  private static void set(Map.Entry<String, CacheValue> entry, CacheValue value, int ttlSeconds) {
    if (ttlSeconds >= 0) {
      ((ExtendedMapEntry<String, CacheValue>) entry).setValue(value, ttlSeconds, TimeUnit.SECONDS);
    } else {
      entry.setValue(value);
    }
  }

  /** Reads the value on the owner (never from a near cache). Result: the JSON text, or null. */
  public static final class Read implements EntryProcessor<String, CacheValue, String>, ReadOnly, DataSerializable {
    public Read() {
    }

    @Override
    public String process(Map.Entry<String, CacheValue> entry) {
      CacheValue v = CacheValue.live(entry.getValue());
      return v == null ? null : v.json();
    }

    @Override
    public void writeData(ObjectDataOutput out) {
      // no state
    }

    @Override
    public void readData(ObjectDataInput in) {
      // no state
    }
  }

  /**
   * Stores the value (put, putAll, a computed value), keeping the update ids the entry remembers so that an
   * update retried after this write is still recognised. Result: the UUID of the member that ran it.
   */
  public static final class Put implements EntryProcessor<String, CacheValue, String>, DataSerializable,
      HazelcastInstanceAware {
    private String json;
    private int ttlSeconds;
    private long stamp;
    /** The UUID of the member running this copy (set by Hazelcast before it runs): the answer. */
    private transient String member;

    public Put() {
    }

    @Override
    public void setHazelcastInstance(HazelcastInstance hz) {
      member = hz.getCluster().getLocalMember().getUuid().toString();
    }

    Put(String json, int ttlSeconds, long stamp) {
      this.json = json;
      this.ttlSeconds = ttlSeconds;
      this.stamp = stamp;
    }

    @Override
    public String process(Map.Entry<String, CacheValue> entry) {
      set(entry, CacheValue.replacing(entry.getValue(), json, stamp), ttlSeconds);
      return member;
    }

    @Override
    public void writeData(ObjectDataOutput out) throws IOException {
      out.writeString(json);
      out.writeInt(ttlSeconds);
      out.writeLong(stamp);
    }

    @Override
    public void readData(ObjectDataInput in) throws IOException {
      json = in.readString();
      ttlSeconds = in.readInt();
      stamp = in.readLong();
    }
  }

  /** Stores the value if the key has none. Result: null when stored, else the current JSON text. */
  public static final class PutIfAbsent implements EntryProcessor<String, CacheValue, String>, DataSerializable {
    private String json;
    private int ttlSeconds;
    private long stamp;

    public PutIfAbsent() {
    }

    PutIfAbsent(String json, int ttlSeconds, long stamp) {
      this.json = json;
      this.ttlSeconds = ttlSeconds;
      this.stamp = stamp;
    }

    @Override
    public String process(Map.Entry<String, CacheValue> entry) {
      CacheValue current = entry.getValue();
      if (CacheValue.live(current) != null) {
        return current.json();
      }
      set(entry, CacheValue.replacing(current, json, stamp), ttlSeconds);
      return null;
    }

    @Override
    public void writeData(ObjectDataOutput out) throws IOException {
      out.writeString(json);
      out.writeInt(ttlSeconds);
      out.writeLong(stamp);
    }

    @Override
    public void readData(ObjectDataInput in) throws IOException {
      json = in.readString();
      ttlSeconds = in.readInt();
      stamp = in.readLong();
    }
  }

  /**
   * Compare-and-set: stores the new value only if the current one equals {@code expected} as JSON (key order
   * and number spelling do not matter). Result: {@code [ok]} or {@code [refused, current JSON or null]}.
   */
  public static final class Replace implements EntryProcessor<String, CacheValue, String[]>, DataSerializable {
    private String expected;
    private String json;
    private int ttlSeconds;
    private long stamp;

    public Replace() {
    }

    Replace(String expected, String json, int ttlSeconds, long stamp) {
      this.expected = expected;
      this.json = json;
      this.ttlSeconds = ttlSeconds;
      this.stamp = stamp;
    }

    @Override
    public String[] process(Map.Entry<String, CacheValue> entry) {
      CacheValue current = CacheValue.live(entry.getValue());
      if (current == null || !JsonValues.same(current.value(), Json.decodeValue(expected))) {
        return new String[]{REFUSED, current == null ? null : current.json()};
      }
      set(entry, CacheValue.replacing(current, json, stamp), ttlSeconds);
      return new String[]{OK};
    }

    @Override
    public void writeData(ObjectDataOutput out) throws IOException {
      out.writeString(expected);
      out.writeString(json);
      out.writeInt(ttlSeconds);
      out.writeLong(stamp);
    }

    @Override
    public void readData(ObjectDataInput in) throws IOException {
      expected = in.readString();
      json = in.readString();
      ttlSeconds = in.readInt();
      stamp = in.readLong();
    }
  }

  /**
   * Restarts an entry's clocks: its TTL counts again from now ({@code ttlSeconds}, or the cache's default),
   * and so does its idle time. The value is unchanged. Result: whether the key exists.
   */
  public static final class Touch implements EntryProcessor<String, CacheValue, Boolean>, DataSerializable {
    private int ttlSeconds;

    public Touch() {
    }

    Touch(int ttlSeconds) {
      this.ttlSeconds = ttlSeconds;
    }

    @Override
    public Boolean process(Map.Entry<String, CacheValue> entry) {
      CacheValue current = CacheValue.live(entry.getValue());
      if (current == null) {
        return false;
      }
      ((ExtendedMapEntry<String, CacheValue>) entry).setValue(current, ttlSeconds, TimeUnit.SECONDS);
      return true;
    }

    @Override
    public void writeData(ObjectDataOutput out) throws IOException {
      out.writeInt(ttlSeconds);
    }

    @Override
    public void readData(ObjectDataInput in) throws IOException {
      ttlSeconds = in.readInt();
    }
  }

  /**
   * An atomic update ({@link Update}) that remembers its operation id in the entry. Result: {@code [ok,
   * json]}, {@code [duplicate, current json]}, or {@code [refused, code, message]}. An update keeps the
   * entry's expiry unless it sets {@code ttlSeconds} (a new entry gets the cache's default).
   */
  public static final class Apply implements EntryProcessor<String, CacheValue, String[]>, DataSerializable,
      HazelcastInstanceAware {
    private String opId;
    private String kind;
    private String arg;
    private String initial;
    private int ttlSeconds;
    private int remember;
    private int maxValueBytes;
    private long stamp;
    /** The UUID of the member running this copy (set by Hazelcast before it runs): part of the answer. */
    private transient String member;

    public Apply() {
    }

    @Override
    public void setHazelcastInstance(HazelcastInstance hz) {
      member = hz.getCluster().getLocalMember().getUuid().toString();
    }

    Apply(Update update, int ttlSeconds, int remember, int maxValueBytes, long stamp) {
      this.opId = update.opId();
      this.kind = update.kind();
      this.arg = update.arg();
      this.initial = update.initial();
      this.ttlSeconds = ttlSeconds;
      this.remember = remember;
      this.maxValueBytes = maxValueBytes;
      this.stamp = stamp;
    }

    @Override
    public String[] process(Map.Entry<String, CacheValue> entry) {
      CacheValue current = entry.getValue();
      Update.Outcome outcome = new Update(opId, kind, arg, initial).apply(current, remember, maxValueBytes, stamp);
      if (outcome.refused()) {
        return new String[]{REFUSED, Integer.toString(outcome.failure()), outcome.message()};
      }
      if (outcome.duplicate()) {
        // Written again as it is, so that the answer waits for the backups to hold it too (the caller's write is
        // confirmed: Caches#write): the first attempt may have reached the owner alone (its backup's member cut off,
        // campaign seed 1001), and "duplicate" acknowledges the update as applied for good. On a backup that already
        // holds it this is a duplicate again; on one that missed it, the update is applied there, to the same value.
        ((ExtendedMapEntry<String, CacheValue>) entry).setValueWithoutChangingExpiryTime(current);
        return new String[]{DUPLICATE, current.json(), member};
      }
      if (ttlSeconds >= 0 || CacheValue.live(current) == null) {
        set(entry, outcome.value(), ttlSeconds);
      } else {
        ((ExtendedMapEntry<String, CacheValue>) entry).setValueWithoutChangingExpiryTime(outcome.value());
      }
      return new String[]{OK, outcome.value().json(), member};
    }

    @Override
    public void writeData(ObjectDataOutput out) throws IOException {
      out.writeString(opId);
      out.writeString(kind);
      out.writeString(arg);
      out.writeString(initial);
      out.writeInt(ttlSeconds);
      out.writeInt(remember);
      out.writeInt(maxValueBytes);
      out.writeLong(stamp);
    }

    @Override
    public void readData(ObjectDataInput in) throws IOException {
      opId = in.readString();
      kind = in.readString();
      arg = in.readString();
      initial = in.readString();
      ttlSeconds = in.readInt();
      remember = in.readInt();
      maxValueBytes = in.readInt();
      stamp = in.readLong();
    }
  }

  /** The entries that hold a value, not a tombstone: what a cache's size counts. */
  public static final class Live implements Predicate<String, CacheValue>, DataSerializable {
    public Live() {
    }

    @Override
    public boolean apply(Map.Entry<String, CacheValue> entry) {
      return CacheValue.live(entry.getValue()) != null;
    }

    @Override
    public void writeData(ObjectDataOutput out) {
      // no state
    }

    @Override
    public void readData(ObjectDataInput in) {
      // no state
    }
  }

  /**
   * Deletes the key's value, leaving a tombstone in its place for {@code tombstoneSeconds}: a copy of the key from
   * the other side of a split, older than this delete, then loses the merge ({@link VersionMergePolicy}) instead of
   * filling the key again. A key with no value is left as it is. Result: whether there was a value.
   */
  public static final class Delete implements EntryProcessor<String, CacheValue, Boolean>, DataSerializable {
    private long stamp;
    private int tombstoneSeconds;

    public Delete() {
    }

    Delete(long stamp, int tombstoneSeconds) {
      this.stamp = stamp;
      this.tombstoneSeconds = tombstoneSeconds;
    }

    @Override
    public Boolean process(Map.Entry<String, CacheValue> entry) {
      CacheValue current = CacheValue.live(entry.getValue());
      if (current == null) {
        if (entry.getValue() != null) {
          // A tombstone (an earlier delete, perhaps answered 504 with its backup cut off): written again as it is, so
          // that this answer waits for the backups to hold it too, as every write's does (Caches#write).
          ((ExtendedMapEntry<String, CacheValue>) entry).setValueWithoutChangingExpiryTime(entry.getValue());
        }
        return false;
      }
      set(entry, CacheValue.tombstone(current, stamp), tombstoneSeconds);
      return true;
    }

    @Override
    public void writeData(ObjectDataOutput out) throws IOException {
      out.writeLong(stamp);
      out.writeInt(tombstoneSeconds);
    }

    @Override
    public void readData(ObjectDataInput in) throws IOException {
      stamp = in.readLong();
      tombstoneSeconds = in.readInt();
    }
  }

  /**
   * {@code getOrCompute}'s claim on a key in the computing map. With no marker (or one left by
   * {@code deadClaimer}, a node that left the cluster) it claims the key: {@code [claimed]}. With another
   * node's marker it adds this node to the waiters: {@code [waiting, claimer]}. With a remembered failure:
   * {@code [failed, code, message]}.
   */
  public static final class Claim implements EntryProcessor<String, Flight, String[]>, DataSerializable {
    private String claimId;
    private String node;
    private String token;
    private int ttlSeconds;
    private String deadClaimer;

    public Claim() {
    }

    Claim(String claimId, String node, String token, int ttlSeconds, String deadClaimer) {
      this.claimId = claimId;
      this.node = node;
      this.token = token;
      this.ttlSeconds = ttlSeconds;
      this.deadClaimer = deadClaimer;
    }

    @Override
    public String[] process(Map.Entry<String, Flight> entry) {
      Flight current = entry.getValue();
      ExtendedMapEntry<String, Flight> e = (ExtendedMapEntry<String, Flight>) entry;
      if (current == null) {
        e.setValue(Flight.claimed(claimId, node, new String[0]), ttlSeconds, TimeUnit.SECONDS);
        return new String[]{CLAIMED};
      }
      if (current.isFailure()) {
        return new String[]{FAILED, Integer.toString(current.failure()), current.message()};
      }
      if (current.claimId().equals(claimId)) {
        return new String[]{CLAIMED}; // a retry of this very claim
      }
      if (current.claimer().equals(deadClaimer)) {
        // Take over from a claimer that left: its waiters now wait for this node.
        e.setValue(Flight.claimed(claimId, node, current.waiters()), ttlSeconds, TimeUnit.SECONDS);
        return new String[]{CLAIMED};
      }
      e.setValueWithoutChangingExpiryTime(current.withWaiter(node, token));
      return new String[]{WAITING, current.claimer()};
    }

    @Override
    public void writeData(ObjectDataOutput out) throws IOException {
      out.writeString(claimId);
      out.writeString(node);
      out.writeString(token);
      out.writeInt(ttlSeconds);
      out.writeString(deadClaimer);
    }

    @Override
    public void readData(ObjectDataInput in) throws IOException {
      claimId = in.readString();
      node = in.readString();
      token = in.readString();
      ttlSeconds = in.readInt();
      deadClaimer = in.readString();
    }
  }

  /**
   * Ends a claim: removes the marker if it is still {@code claimId}'s, or replaces it with a remembered
   * failure for {@code negativeTtlSeconds}. Result: the waiters to tell (node, token, node, token, …), empty
   * when the marker is no longer this claim's.
   */
  public static final class Finish implements EntryProcessor<String, Flight, String[]>, DataSerializable {
    private String claimId;
    private int failure;
    private String message;
    private int negativeTtlSeconds;

    public Finish() {
    }

    Finish(String claimId, int failure, String message, int negativeTtlSeconds) {
      this.claimId = claimId;
      this.failure = failure;
      this.message = message;
      this.negativeTtlSeconds = negativeTtlSeconds;
    }

    @Override
    public String[] process(Map.Entry<String, Flight> entry) {
      Flight current = entry.getValue();
      if (current == null || current.isFailure() || !current.claimId().equals(claimId)) {
        return new String[0];
      }
      if (failure != 0 && negativeTtlSeconds > 0) {
        ((ExtendedMapEntry<String, Flight>) entry).setValue(Flight.failed(failure, message), negativeTtlSeconds,
          TimeUnit.SECONDS);
      } else {
        entry.setValue(null);
      }
      return current.waiters();
    }

    @Override
    public void writeData(ObjectDataOutput out) throws IOException {
      out.writeString(claimId);
      out.writeInt(failure);
      out.writeString(message);
      out.writeInt(negativeTtlSeconds);
    }

    @Override
    public void readData(ObjectDataInput in) throws IOException {
      claimId = in.readString();
      failure = in.readInt();
      message = in.readString();
      negativeTtlSeconds = in.readInt();
    }
  }
}
