package io.steward.node;

import com.hazelcast.core.HazelcastInstance;
import com.hazelcast.core.HazelcastInstanceAware;
import com.hazelcast.core.LifecycleEvent;
import com.hazelcast.core.LifecycleListener;
import io.vertx.core.Future;
import io.vertx.core.Promise;
import io.vertx.core.Vertx;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import java.util.function.Function;
import java.util.logging.Level;

/**
 * Joins the cluster, retrying a join that the cluster refuses because of its state. Hazelcast's master refuses a new
 * member while the cluster is FROZEN or PASSIVE (a split-brain merge freezes the merging side; an operator may freeze
 * the cluster with {@code changeClusterState}): it tells the joining member why, and that member shuts down, so the
 * clustered Vert.x fails to start with only "Node failed to start!". Steward starts a new Hazelcast member after a
 * backoff (1 s, doubling up to 10 s), with a WARN per attempt, for {@code cluster.joinRetryMs}; then it fails with
 * the reason and what to do. Any other failure fails at once, as before.
 *
 * <p>Missing public API: the reason reaches the joining member only as a log line (Hazelcast 5.6's
 * {@code BeforeJoinCheckFailureOp} logs it at SEVERE on {@code com.hazelcast.security}); {@link Refusal} reads it
 * through Hazelcast's public {@code LoggingService.addLogListener}, registered before the join by a listener in the
 * member's configuration. If an upgrade changes the text, a refused node fails at once, as it did before.
 */
final class ClusterJoin {

  private static final Logger LOG = LoggerFactory.getLogger(StewardNode.class);
  /** Hazelcast 5.6's reason for a join refused because of the cluster state (ClusterJoinManager). */
  static final String REFUSED_FOR_STATE = "Cluster state either is locked or doesn't allow new members to join";
  /** The SEVERE line of {@code BeforeJoinCheckFailureOp} that carries the master's reason. */
  static final String REASON_PREFIX = "Reason of failure for node join: ";
  static final long FIRST_DELAY_MS = 1_000;
  static final long MAX_DELAY_MS = 10_000;

  private ClusterJoin() {
  }

  /** The wait before attempt {@code attempt + 1}: 1 s, doubling, at most 10 s. */
  static long backoff(int attempt) {
    return Math.min(MAX_DELAY_MS, FIRST_DELAY_MS << Math.min(10, Math.max(0, attempt - 1)));
  }

  /**
   * Runs {@code attempt} (which starts a clustered Vert.x with the given {@link Refusal} in its Hazelcast
   * configuration) until it succeeds, fails for another reason (the future fails with that failure), or has been
   * refused for the cluster's state for {@code retryMs} (a {@link StartupException} saying why and what to do).
   */
  static Future<Vertx> join(String clusterName, long retryMs, Function<Refusal, Future<Vertx>> attempt) {
    Promise<Vertx> done = Promise.promise();
    attempt(clusterName, retryMs, attempt, 1, System.nanoTime(), done);
    return done.future();
  }

  private static void attempt(String clusterName, long retryMs, Function<Refusal, Future<Vertx>> attempt, int n,
                              long startedAt, Promise<Vertx> done) {
    Refusal refusal = new Refusal();
    Future<Vertx> joined;
    try {
      joined = attempt.apply(refusal);
    } catch (RuntimeException e) {
      joined = Future.failedFuture(e);
    }
    joined.onComplete(ar -> {
      long elapsed = TimeUnit.NANOSECONDS.toMillis(System.nanoTime() - startedAt);
      if (ar.succeeded()) {
        if (n > 1) {
          LOG.info("Joined the Hazelcast cluster '{}' at attempt {}, {} ms after the first was refused", clusterName,
            n, elapsed);
        }
        done.complete(ar.result());
        return;
      }
      String reason = refusal.reason();
      if (reason == null) {
        done.fail(ar.cause());
        return;
      }
      if (!reason.contains(REFUSED_FOR_STATE)) {
        done.fail(new StartupException("could not join the Hazelcast cluster '" + clusterName
          + "': a member refused this node: " + reason, ar.cause()));
        return;
      }
      long left = retryMs - elapsed;
      if (left <= 0) {
        done.fail(new StartupException("could not join the Hazelcast cluster '" + clusterName + "': its members "
          + "refused this node for " + elapsed + " ms (" + n + " attempt(s)), longer than cluster.joinRetryMs = "
          + retryMs + ", because the cluster's state lets no new member in (" + reason + "). Set the cluster state "
          + "back to ACTIVE on a member (an operator froze it, or a member was left FROZEN by an interrupted "
          + "split-brain merge: compare GET /nodes on every node), or raise cluster.joinRetryMs", ar.cause()));
        return;
      }
      long delay = Math.min(left, backoff(n));
      LOG.warn("Could not join the Hazelcast cluster '{}' (attempt {}): a member refused this node because the "
          + "cluster's state lets no new member in ({}). A split-brain merge freezes the merging side for a few "
          + "seconds; an operator may have frozen the cluster. Retrying in {} ms, for {} ms more "
          + "(cluster.joinRetryMs = {}); nothing to do if it passes. If it lasts: set the cluster state back to "
          + "ACTIVE on a member, or look for a member left alone in FROZEN after a merge (GET /nodes on every node)",
        clusterName, n, reason, delay, left, retryMs);
      CompletableFuture.delayedExecutor(delay, TimeUnit.MILLISECONDS)
        .execute(() -> attempt(clusterName, retryMs, attempt, n + 1, startedAt, done));
    });
  }

  /**
   * Put in the member's configuration ({@code Config.addListenerConfig}): Hazelcast hands it the instance before the
   * join, and it keeps the reason of a refused join from the member's log.
   */
  static final class Refusal implements LifecycleListener, HazelcastInstanceAware {

    private volatile String reason;

    @Override
    public void setHazelcastInstance(HazelcastInstance hz) {
      hz.getLoggingService().addLogListener(Level.SEVERE, event -> {
        // After Hazelcast's "[address] [cluster] [version] " prefix
        String message = event.getLogRecord().getMessage();
        int at = message == null ? -1 : message.indexOf(REASON_PREFIX);
        if (at >= 0) {
          reason = message.substring(at + REASON_PREFIX.length());
        }
      });
    }

    @Override
    public void stateChanged(LifecycleEvent event) {
      // nothing: a listener only to be handed the instance before the join
    }

    /** The master's reason for refusing this member, or null if it was not refused. */
    String reason() {
      return reason;
    }
  }
}
