package io.steward.cache;

import com.hazelcast.cluster.Member;
import io.steward.bus.Failure;
import io.steward.bus.Fields;
import io.steward.bus.StewardException;
import io.vertx.core.Future;
import io.vertx.core.Promise;
import io.vertx.core.Vertx;
import io.vertx.core.eventbus.Message;
import io.vertx.core.json.Json;
import io.vertx.core.json.JsonObject;

import java.util.UUID;

/**
 * {@code update}: an atomic increment or field merge, run by an entry processor on the key's owner.
 *
 * <p><b>Never twice, never silently lost.</b> Hazelcast retries an operation whose member left before it
 * answered (MemberLeftException is retryable), and the first attempt may already have been applied and
 * copied to the backup that now owns the key: a plain increment would count twice. Every update therefore
 * carries an operation id (the caller's {@code opId}, or one this node makes up) that the entry remembers
 * ({@code cache.rememberedUpdates} of them), and an update whose id the entry already holds changes nothing
 * and answers {@code duplicate: true}. This node retries a failed attempt with the same id until
 * {@code timeoutMs}; when the outcome is still unknown then, the caller gets 504 INDETERMINATE with the
 * {@code opId}: the update was applied once or not at all (or may still be, once), and sending it again with
 * the same {@code opId} is safe and tells which.
 */
final class Updates {

  private static final long FIRST_BACKOFF_MS = 50;
  private static final long MAX_BACKOFF_MS = 1_000;

  private final Vertx vertx;
  private final Caches caches;
  private final CacheConfig config;

  Updates(Vertx vertx, Caches caches, CacheConfig config) {
    this.vertx = vertx;
    this.caches = caches;
    this.config = config;
  }

  /**
   * {@code {cache, key, increment: number, initial?: number} | {cache, key, merge: object}}, with optional
   * {@code ttlSeconds}, {@code opId}, {@code timeoutMs} → {@code {value, opId, duplicate}}.
   */
  Future<JsonObject> update(Message<Object> msg) {
    Fields f = Fields.of(msg.body());
    String cache = f.string("cache");
    String key = f.string("key");
    Object increment = f.value("increment");
    JsonObject merge = f.object("merge");
    Object initial = f.value("initial");
    Long ttl = f.optionalLong("ttlSeconds", 0, CacheSpec.MAX_SECONDS);
    String opId = f.string("opId", null, 128);
    long timeoutMs = f.longValue("timeoutMs", config.updateTimeoutMs(), 1, 600_000);
    f.done();
    Update update = parse(f, opId == null ? UUID.randomUUID().toString() : opId, increment, merge, initial);
    return caches.handle(cache).compose(h -> {
      h.key("key", key);
      if (update.kind().equals(Update.MERGE)) {
        h.value("merge", merge); // the patch alone must fit
      }
      Processors.Apply apply = new Processors.Apply(update, ttl == null ? -1 : ttl.intValue(),
        config.rememberedUpdates(), h.spec().maxValueBytes(), h.stamp());
      Promise<String[]> done = Promise.promise();
      long deadline = System.currentTimeMillis() + timeoutMs;
      long timer = vertx.setTimer(timeoutMs, t -> done.tryFail(unknown(cache, key, update.opId(), timeoutMs,
        "no answer from the key's owner in time")));
      attempt(h, key, apply, update.opId(), deadline, FIRST_BACKOFF_MS, done, timeoutMs, false);
      return done.future().andThen(ar -> vertx.cancelTimer(timer)).transform(ar -> {
        if (ar.failed()) {
          return Future.failedFuture(ar.cause());
        }
        String[] r = ar.result();
        if (Processors.REFUSED.equals(r[0])) {
          return Future.failedFuture(new StewardException(Failure.ofCode(Integer.parseInt(r[1])), "update of '" + key
            + "' in cache '" + cache + "' refused: the entry " + r[2]));
        }
        boolean duplicate = Processors.DUPLICATE.equals(r[0]);
        if (!duplicate) {
          h.stored(1);
        }
        String unconfirmed = caches.unconfirmed(h, r.length > 2 ? r[2] : null);
        if (unconfirmed != null) {
          return Future.failedFuture(unknown(cache, key, update.opId(), timeoutMs, "applied, but " + unconfirmed));
        }
        return Future.succeededFuture(new JsonObject().put("value", JsonValues.decode(r[1])).put("opId", update.opId())
          .put("duplicate", duplicate));
      });
    });
  }

  /**
   * One attempt; {@code mayHaveApplied} says whether an earlier one may have been applied. A refusal (split-brain
   * protection, a node leaving) is "nothing applied" only by {@link Caches#mayHaveApplied}'s rule.
   */
  private void attempt(CacheHandle h, String key, Processors.Apply apply, String opId, long deadline, long backoff,
                       Promise<String[]> done, long timeoutMs, boolean mayHaveApplied) {
    if (done.future().isComplete()) {
      return;
    }
    Member owner = caches.owner(key);
    caches.write(h, key, apply).onComplete(ar -> {
      if (ar.succeeded()) {
        done.tryComplete(ar.result());
        return;
      }
      Throwable err = Hz.translate(ar.cause(), "update of '" + key + "'", true);
      boolean unknown = err instanceof StewardException se && se.failure() == Failure.INDETERMINATE;
      if (!unknown) {
        String why = caches.mayHaveApplied(owner, mayHaveApplied);
        if (why != null) {
          done.tryFail(unknown(h.name(), key, opId, timeoutMs, err.getMessage() + "; but " + why));
        } else {
          done.tryFail(err); // refused before it ran (split-brain protection, node leaving) or a bug: not applied
        }
        return;
      }
      if (System.currentTimeMillis() + backoff >= deadline) {
        done.tryFail(unknown(h.name(), key, opId, timeoutMs, err.getMessage()));
        return;
      }
      // Same operation id: if the lost attempt was applied, this one finds its id and changes nothing.
      vertx.setTimer(backoff, t -> attempt(h, key, apply, opId, deadline, Math.min(MAX_BACKOFF_MS, backoff * 2), done,
        timeoutMs, true));
    });
  }

  private static StewardException unknown(String cache, String key, String opId, long timeoutMs, String why) {
    return StewardException.indeterminate("update " + opId + " of '" + key + "' in cache '" + cache + "': outcome unknown "
      + "after " + timeoutMs + " ms (" + why + "). It was applied once or not at all; send it again with opId "
      + "'" + opId + "' to apply it if it was not (an applied one answers duplicate: true)");
  }

  private static Update parse(Fields f, String opId, Object increment, JsonObject merge, Object initial) {
    if ((increment == null) == (merge == null)) {
      throw f.bad(increment == null ? "increment" : "merge", "give exactly one of increment (a number to add) or "
        + "merge (an object of fields to merge in)");
    }
    if (merge != null) {
      if (initial != null) {
        throw f.bad("initial", "belongs to increment; a merge into a missing entry starts from {}");
      }
      return new Update(opId, Update.MERGE, merge.encode(), null);
    }
    number(f, "increment", increment);
    Object start = initial == null ? 0 : initial;
    number(f, "initial", start);
    return new Update(opId, Update.INCREMENT, Json.encode(increment), Json.encode(start));
  }

  private static void number(Fields f, String field, Object v) {
    if (!(v instanceof Number n) || Double.isNaN(n.doubleValue()) || Double.isInfinite(n.doubleValue())) {
      throw f.bad(field, "must be a finite number, got " + Fields.typeName(v));
    }
  }
}
