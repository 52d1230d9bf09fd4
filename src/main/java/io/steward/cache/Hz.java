package io.steward.cache;

import com.hazelcast.core.HazelcastInstanceNotActiveException;
import com.hazelcast.core.IndeterminateOperationState;
import com.hazelcast.core.IndeterminateOperationStateException;
import com.hazelcast.core.OperationTimeoutException;
import com.hazelcast.partition.NoDataMemberInClusterException;
import com.hazelcast.spi.exception.RetryableException;
import com.hazelcast.spi.exception.TargetDisconnectedException;
import com.hazelcast.splitbrainprotection.SplitBrainProtectionException;
import io.steward.bus.StewardException;
import io.steward.spi.HazelcastInternals;
import io.vertx.core.Context;
import io.vertx.core.Future;
import io.vertx.core.Promise;
import io.vertx.core.Vertx;

import java.util.concurrent.CompletionException;
import java.util.concurrent.CompletionStage;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.Executor;
import java.util.function.BiConsumer;

/**
 * Hazelcast's async API seen from an event loop, without needless thread hops. The public async methods
 * return a {@code DelegatingCompletableFuture}, which runs every callback registered on it through the
 * common ForkJoinPool (one more thread wake-up per operation, expensive on two cores). Steward listens on
 * the future it wraps instead, with a callback that runs where the result arrives (Hazelcast's response
 * thread, or at once for a near-cache hit) and only hands the result on:
 * <ul>
 *   <li>{@link #on}: to the module's event loop, for code that touches state confined to it;</li>
 *   <li>{@link #direct}: to whoever listens, right there — for stateless request handlers, whose reply then
 *       leaves from Hazelcast's thread without a trip through the event loop.</li>
 * </ul>
 */
final class Hz {

  private static final Executor DIRECT = Runnable::run;

  private Hz() {
  }

  /** The stage as a Vert.x future whose callbacks run on {@code context}. */
  static <T> Future<T> on(Context context, CompletionStage<T> stage) {
    Promise<T> promise = Promise.promise();
    whenDone(stage, (value, err) -> {
      if (Vertx.currentContext() == context) {
        complete(promise, value, err);
      } else {
        context.runOnContext(v -> complete(promise, value, err));
      }
    });
    return promise.future();
  }

  /** The stage as a Vert.x future whose callbacks run on the thread that completes it. Thread-safe code only. */
  static <T> Future<T> direct(CompletionStage<T> stage) {
    Promise<T> promise = Promise.promise();
    whenDone(stage, (value, err) -> complete(promise, value, err));
    return promise.future();
  }

  private static <T> void complete(Promise<T> promise, T value, Throwable err) {
    if (err != null) {
      promise.fail(unwrap(err));
    } else {
      promise.complete(value);
    }
  }

  private static <T> void whenDone(CompletionStage<T> stage, BiConsumer<T, Throwable> callback) {
    if (!HazelcastInternals.whenDoneWithoutHop(stage, callback)) {
      stage.whenCompleteAsync(callback, DIRECT);
    }
  }

  /** The cause behind the wrappers Java's and Hazelcast's futures add. */
  static Throwable unwrap(Throwable err) {
    Throwable e = err;
    while ((e instanceof CompletionException || e instanceof ExecutionException) && e.getCause() != null
      && !(e instanceof IndeterminateOperationState) && !(e instanceof IndeterminateOperationStateException)) {
      e = e.getCause();
    }
    return e;
  }

  /**
   * Whether a failure says the cluster changed under the operation (a member left, a connection dropped,
   * no answer in time): for a write, the outcome is unknown.
   */
  static boolean lostInFlight(Throwable err) {
    Throwable e = unwrap(err);
    return e instanceof IndeterminateOperationState || e instanceof IndeterminateOperationStateException
      || e instanceof RetryableException
      || e instanceof OperationTimeoutException || e instanceof TargetDisconnectedException;
  }

  /**
   * A Hazelcast failure in Steward's terms. Refusals before anything happened are 503; a member lost under a
   * write is 504 (outcome unknown), under a read 503 (retry); anything else stays as it is (a 500).
   */
  static Throwable translate(Throwable err, String what, boolean write) {
    Throwable e = unwrap(err);
    if (e instanceof StewardException) {
      return e;
    }
    if (e instanceof SplitBrainProtectionException) {
      return StewardException.unavailable(what + " refused: this side of the cluster has fewer members than "
        + "cluster.minimumSize (split-brain protection); nothing was applied");
    }
    if (e instanceof NoDataMemberInClusterException) {
      return StewardException.unavailable(what + " refused: every member is a lite member, so no member can hold "
        + "the data; start a node with cluster.liteMember=false");
    }
    if (e instanceof HazelcastInstanceNotActiveException) {
      return StewardException.unavailable(what + " refused: this node is leaving the cluster; retry on another node");
    }
    if (write && e instanceof IndeterminateOperationStateException) {
      return StewardException.indeterminate(what + ": the key's owner may have applied it, but its backup did not "
        + "acknowledge it within the backup timeout (the backup's member cut off, paused or leaving), or the owner left "
        + "mid-call, so it may be on one member only and lost at a merge or that member's death ("
        + e.getClass().getSimpleName() + "); read before retrying");
    }
    if (lostInFlight(e)) {
      String cause = e.getClass().getSimpleName() + (e.getMessage() == null ? "" : ": " + e.getMessage());
      return write
        ? StewardException.indeterminate(what + ": a member was lost while the write was in flight, so it may or may "
          + "not have been applied (" + cause + "); read before retrying")
        : StewardException.unavailable(what + ": a member was lost during the read (" + cause + "); retry");
    }
    return e;
  }
}
