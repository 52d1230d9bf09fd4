package io.steward.cache;

import com.hazelcast.core.HazelcastInstanceNotActiveException;
import com.hazelcast.core.IndeterminateOperationState;
import com.hazelcast.core.OperationTimeoutException;
import com.hazelcast.spi.exception.RetryableException;
import com.hazelcast.spi.exception.TargetDisconnectedException;
import com.hazelcast.splitbrainprotection.SplitBrainProtectionException;
import io.steward.bus.StewardException;
import io.vertx.core.Context;
import io.vertx.core.Future;

import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionException;
import java.util.concurrent.CompletionStage;
import java.util.concurrent.ExecutionException;

/**
 * Hazelcast's async API seen from an event loop. A Hazelcast future runs plain {@code whenComplete}
 * callbacks on the common ForkJoinPool, one more thread hop per operation; {@link #on} completes the
 * Vert.x future right on Hazelcast's response thread instead (it only hands the result to the context), and
 * at once when the result is already there (a near-cache hit).
 */
final class Hz {

  private static final java.util.concurrent.Executor DIRECT = Runnable::run;

  private Hz() {
  }

  /** The stage as a Vert.x future whose callbacks run on {@code context}. */
  static <T> Future<T> on(Context context, CompletionStage<T> stage) {
    CompletableFuture<T> direct = new CompletableFuture<>();
    stage.whenCompleteAsync((value, err) -> {
      if (err != null) {
        direct.completeExceptionally(err);
      } else {
        direct.complete(value);
      }
    }, DIRECT);
    return Future.fromCompletionStage(direct, context);
  }

  /** The cause behind the wrappers Java's and Hazelcast's futures add. */
  static Throwable unwrap(Throwable err) {
    Throwable e = err;
    while ((e instanceof CompletionException || e instanceof ExecutionException) && e.getCause() != null
      && !(e instanceof IndeterminateOperationState)) {
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
    return e instanceof IndeterminateOperationState || e instanceof RetryableException
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
    if (e instanceof HazelcastInstanceNotActiveException) {
      return StewardException.unavailable(what + " refused: this node is leaving the cluster; retry on another node");
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
