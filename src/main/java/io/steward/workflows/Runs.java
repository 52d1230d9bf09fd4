package io.steward.workflows;

import com.hazelcast.map.EntryProcessor;
import com.hazelcast.map.ExtendedMapEntry;
import com.hazelcast.map.IMap;
import com.hazelcast.query.Predicate;
import io.steward.spi.HazelcastInternals;
import io.vertx.core.Future;
import io.vertx.core.Vertx;
import io.vertx.core.json.JsonObject;

import java.util.ArrayList;
import java.util.Collection;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.Set;
import java.util.concurrent.TimeUnit;

/**
 * The workflow records in the Hazelcast map {@value #MAP} (JSON text by workflow id; cluster.xml's {@code steward.*}
 * settings: one synchronous backup). Every write is a compare-and-set on the whole record ({@link Cas}), made with
 * {@link HazelcastInternals#submitToKeyConfirmed}: it fails, rather than answer a success, when the backup did not
 * acknowledge it, as durable task records are written.
 */
final class Runs {

  static final String MAP = "steward.workflows.runs";

  private final Vertx vertx;
  private final IMap<String, String> map;
  private final long finishedTtlMs;

  Runs(Vertx vertx, IMap<String, String> map, long finishedTtlMs) {
    this.vertx = vertx;
    this.map = map;
    this.finishedTtlMs = finishedTtlMs;
  }

  /** The record, or null. */
  Future<JsonObject> get(String id) {
    return call(() -> map.getAsync(id)).map(v -> v == null ? null : new JsonObject(v));
  }

  /**
   * Replaces {@code expected} (null: no record yet) with {@code next}; true when written, false when the record was
   * not {@code expected} any more (another node wrote it first: read it again). A final record is kept
   * {@code workflows.finishedTtlMs}.
   */
  Future<Boolean> replace(JsonObject expected, JsonObject next) {
    JsonObject written = next.copy().put("version", next.getInteger("version", 0) + 1);
    long ttl = Progress.isFinal(written) ? finishedTtlMs : 0;
    String id = next.getString("id");
    return call(() -> HazelcastInternals.submitToKeyConfirmed(map, id,
        new Cas(expected == null ? -1 : expected.getInteger("version", 0), written.encode(), ttl)))
      .map(Boolean.TRUE::equals);
  }

  /**
   * The record, once its synchronous backup holds it too (null: no record): a record read from its owner may be one
   * whose write the backup has not acknowledged yet, which the owner's death would lose. Written again as it is
   * (its expiry unchanged), with {@link HazelcastInternals#submitToKeyConfirmed}.
   */
  Future<JsonObject> confirmed(String id) {
    return call(() -> HazelcastInternals.submitToKeyConfirmed(map, id, new Confirm())).map(v -> v == null ? null
      : new JsonObject(v));
  }

  /** A Hazelcast call as a future on this context; a call that throws (a member not active) fails the future. */
  private <T> Future<T> call(java.util.function.Supplier<java.util.concurrent.CompletionStage<T>> op) {
    return call(vertx, op);
  }

  /** A Hazelcast call as a future on the caller's context; a call that throws (a member not active) fails the future. */
  static <T> Future<T> call(Vertx vertx, java.util.function.Supplier<java.util.concurrent.CompletionStage<T>> op) {
    Future<T> f;
    try {
      f = Future.fromCompletionStage(op.get(), vertx.getOrCreateContext());
    } catch (RuntimeException e) {
      f = Future.failedFuture(e);
    }
    return f.recover(Runs::stopping);
  }

  /** This member is leaving or was terminated: a 503 (retry on another node), not a 500 with an ERROR line. */
  private static <T> Future<T> stopping(Throwable err) {
    for (Throwable t = err; t != null; t = t.getCause() == t ? null : t.getCause()) {
      if (t instanceof com.hazelcast.core.HazelcastInstanceNotActiveException) {
        return Future.failedFuture(io.steward.bus.StewardException.unavailable("this node is leaving the cluster "
          + "(its Hazelcast member is not active); retry, the request goes to another workflows node"));
      }
    }
    return Future.failedFuture(err);
  }

  /** The ids of the unfinished workflows whose key this member owns (a local query, on a worker thread). */
  Future<Set<String>> ownedUnfinished() {
    return vertx.<Set<String>>executeBlocking(() -> map.localKeySet(new Unfinished()), false).recover(Runs::stopping);
  }

  /** The ids of every unfinished workflow in the cluster (a query over every member, on a worker thread). */
  Future<Set<String>> unfinished() {
    return vertx.<Set<String>>executeBlocking(() -> map.keySet(new Unfinished()), false).recover(Runs::stopping);
  }

  /** Every record, optionally of one state and name (a query over the cluster, on a worker thread). */
  Future<List<JsonObject>> list(String state, String name) {
    return vertx.<List<JsonObject>>executeBlocking(() -> {
      Collection<String> values = map.values(new Matching(state, name));
      List<JsonObject> out = new ArrayList<>(values.size());
      values.forEach(v -> out.add(new JsonObject(v)));
      return out;
    }, false).recover(Runs::stopping);
  }

  /**
   * Compare-and-set of a whole record on its {@code version} ({@code -1}: no record yet); answers whether it wrote.
   * The backup is given the record the owner wrote ({@link Mirror}), whatever its own copy was.
   */
  static final class Cas implements EntryProcessor<String, String, Boolean> {
    private static final long serialVersionUID = 2L;
    private final long expected;
    private final String next;
    private final long ttlMs;
    private transient Mirror backup;

    Cas(long expected, String next, long ttlMs) {
      this.expected = expected;
      this.next = next;
      this.ttlMs = ttlMs;
    }

    @Override
    public Boolean process(Map.Entry<String, String> entry) {
      String v = entry.getValue();
      if (Objects.equals(v, next)) {
        backup = new Mirror(next, Mirror.KEEP_EXPIRY);
        return true; // this very write, run again by Hazelcast after a member left mid-call
      }
      long version = v == null ? -1 : new JsonObject(v).getLong("version", 0L);
      if (version != expected) {
        return false;
      }
      // 0: no expiry, also for a finished record made running again by a retry
      ((ExtendedMapEntry<String, String>) entry).setValue(next, ttlMs, TimeUnit.MILLISECONDS);
      backup = new Mirror(next, ttlMs);
      return true;
    }

    /**
     * The record written, as the owner has it ({@link Mirror}): a backup that missed an earlier write of the record
     * would refuse this one on its version, and keep an older workflow than the one the owner answers with.
     */
    @Override
    public EntryProcessor<String, String, Boolean> getBackupProcessor() {
      return backup == null ? null : Keys.cast(backup);
    }
  }

  /**
   * Answers the record (or null) once the backup holds that very record: the backup is given the owner's value
   * ({@link Mirror}), whatever its own copy was, and the confirmed call waits for its acknowledgement.
   */
  static final class Confirm implements EntryProcessor<String, String, String> {
    private static final long serialVersionUID = 2L;
    private transient Mirror backup;

    @Override
    public String process(Map.Entry<String, String> entry) {
      String v = entry.getValue();
      if (v != null) {
        backup = new Mirror(v, Mirror.KEEP_EXPIRY);
      }
      return v;
    }

    @Override
    public EntryProcessor<String, String, String> getBackupProcessor() {
      return backup == null ? null : Keys.cast(backup);
    }
  }

  /** Records of running workflows. */
  static final class Unfinished implements Predicate<String, String> {
    private static final long serialVersionUID = 1L;

    @Override
    public boolean apply(Map.Entry<String, String> entry) {
      return "running".equals(new JsonObject(entry.getValue()).getString("state"));
    }
  }

  /** Records of one state and name (either null: any). */
  static final class Matching implements Predicate<String, String> {
    private static final long serialVersionUID = 1L;
    private final String state;
    private final String name;

    Matching(String state, String name) {
      this.state = state;
      this.name = name;
    }

    @Override
    public boolean apply(Map.Entry<String, String> entry) {
      JsonObject r = new JsonObject(entry.getValue());
      return (state == null || state.equals(r.getString("state"))) && (name == null || name.equals(r.getString("name")));
    }
  }
}
