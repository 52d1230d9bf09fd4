package io.steward.spi;

import ch.qos.logback.classic.Level;
import ch.qos.logback.classic.Logger;
import ch.qos.logback.classic.turbo.TurboFilter;
import ch.qos.logback.core.spi.FilterReply;
import com.hazelcast.core.HazelcastInstanceNotActiveException;
import com.hazelcast.spi.exception.CallerNotMemberException;
import com.hazelcast.spi.exception.ResponseAlreadySentException;
import com.hazelcast.spi.exception.RetryableHazelcastException;
import io.steward.observe.RateLimitedLog;
import org.slf4j.Marker;

import java.util.List;
import java.util.concurrent.ConcurrentHashMap;
import java.util.function.BiPredicate;

/**
 * The one place that reads the libraries' own ERROR lines ({@code logback.xml} installs it as a turbo filter). Each
 * row of {@link #LINES} is one line that Vert.x 5.1.6, its two bridges or Hazelcast 5.6 log at ERROR although the
 * node has no fault: a bridge client's mistake, or the expected consequence of a peer's death, a partition or a
 * merge, from which the library recovers by itself. Such a line becomes one WARN that says what happened and what
 * to do, at most one per row every 10 s (saying how many were suppressed), without the stack trace; every other
 * ERROR, of these loggers too, stays an ERROR. A row matches the library's logger, its message and, where the
 * message alone is not specific, the exception and where it was thrown.
 *
 * <p>Missing public API: no library has a hook for these cases, nor logs them below ERROR. On upgrade: the logger
 * names are implementation classes and the strings the libraries' own text; if one changes, nothing fails to
 * compile: the line simply comes back as an ERROR with its stack trace (and the campaign's {@code no-error-lines}
 * checker reports it). LibraryLogsTest feeds each row the library's real text (copied from node logs) and a
 * near miss; remove a row when the upgrade that fixes its library bug is in the pom.
 */
public final class LibraryLogs extends TurboFilter {

  /**
   * One library line: its kind (the rate limit's key), the logger it comes from (a name, or a prefix ending in
   * {@code .}), how the line is recognised, what it means (why it is not the node's error), what to do, and the
   * logger the WARN goes to ({@code null}: the library's own).
   */
  record Line(String kind, String logger, BiPredicate<String, Throwable> matches, String why, String todo,
              String warnTo) {

    boolean loggedBy(String name) {
      return logger.endsWith(".") ? name.startsWith(logger) : name.equals(logger);
    }
  }

  static final String SOCKJS_LOGGER = "io.vertx.ext.web.handler.sockjs.impl.EventBusBridgeImpl";
  static final String TCP_LOGGER = "io.vertx.ext.eventbus.bridge.tcp.impl.TcpEventBusBridgeImpl";
  static final String CONTEXT_LOGGER = "io.vertx.core.impl.ContextImpl";
  static final String CONNECTION_LOGGER = "io.vertx.core.net.impl.ConnectionBase";
  static final String HAZELCAST_CLUSTER_MANAGER = "io.vertx.spi.cluster.hazelcast.HazelcastClusterManager";
  static final String FETCH_MEMBERS_VIEW = "com.hazelcast.internal.cluster.impl.operations.FetchMembersViewOp";
  static final String HEARTBEAT = "com.hazelcast.internal.cluster.impl.operations.HeartbeatOp";
  static final String SECURITY = "com.hazelcast.security";
  static final String HZ_NODE = "com.hazelcast.instance.impl.Node";
  static final String TCP_IP_JOINER = "com.hazelcast.internal.cluster.impl.TcpIpJoiner";
  static final String VERTX = "io.vertx.core.impl.VertxImpl";
  static final String LOCK_CLUSTER_STATE = "com.hazelcast.internal.cluster.impl.operations.LockClusterStateOp";
  static final String OPERATION_EXECUTOR = "com.hazelcast.spi.impl.operationexecutor.impl.OperationExecutorImpl";
  static final String DEPLOYMENT_MANAGER = "io.vertx.core.impl.deployment.DefaultDeploymentManager";
  static final String MIGRATION_MANAGER = "com.hazelcast.internal.partition.impl.MigrationManagerImpl";
  static final String PROMOTION_COMMIT = "com.hazelcast.internal.partition.operation.PromotionCommitOperation";
  static final String EVENT_SERVICE = "com.hazelcast.spi.impl.eventservice.impl.EventServiceImpl";
  static final String FLYWAY_TRANSACTION = "org.flywaydb.core.internal.jdbc.TransactionalExecutionTemplate";
  /** What Vert.x's logging puts as the message of an exception that has none. */
  private static final String NO_MESSAGE = "<missing-log-message>";
  private static final String NO_ADDRESS = "msg does not have address";
  private static final String SOCKJS_WARN = "io.steward.http.SockJsBridge";
  private static final String TCP_WARN = "io.steward.bridge.BridgeVerticle";
  private static final String STARTUP_SAYS = "Nothing to do here: the line of io.steward.node.StewardNode that "
    + "follows (a WARN while Steward retries the join, cluster.joinRetryMs) or io.steward.Main's ERROR (Steward "
    + "could not start) says why and what to do.";
  private static final String AFTER_A_PEER_LOSS = "Nothing to do: it follows a peer node's death, a partition or a "
    + "merge; if it repeats while every node is up and GET /nodes shows one cluster, report it.";

  /** The table. Its order does not matter: no two rows match the same line. */
  static final List<Line> LINES = List.of(
    // ---- the bridges: what a client does wrong (vertx-web and vertx-tcp-eventbus-bridge 5.1.6)
    new Line("sockjs-invalid-type", SOCKJS_LOGGER, (f, t) -> f.startsWith("Invalid type in incoming message"),
      "a SockJS bridge client sent a frame with an unknown type; it was answered with an error",
      "Fix the client.", SOCKJS_WARN),
    new Line("sockjs-reply-address", SOCKJS_LOGGER,
      (f, t) -> f.startsWith("Will not send message, reply address is > 36 chars"),
      "a SockJS bridge client sent a reply address over 36 characters; the message was not sent",
      "Fix the client.", SOCKJS_WARN),
    new Line("sockjs-socket", SOCKJS_LOGGER, (f, t) -> f.startsWith("SockJSSocket exception"),
      "a SockJS bridge client's connection failed (a message over http.bodyLimitBytes, a reset); it was closed",
      "Fix the client if it sends messages over the limit.", SOCKJS_WARN),
    new Line("tcp-socket", TCP_LOGGER,
      (f, t) -> t != null && (f.equals(t.getMessage()) || (t.getMessage() == null && f.equals(NO_MESSAGE))),
      "a TCP bridge client's connection failed (a reset, a failed TLS handshake); the bridge closed it",
      "Nothing to do unless one client does it all the time.", TCP_WARN),
    new Line("tcp-no-address", TCP_LOGGER, (f, t) -> t == null && f.startsWith(NO_ADDRESS),
      "a TCP bridge client sent a frame without an address; it was answered with an err frame (missing_address)",
      "Fix the client.", TCP_WARN),
    // ---- a peer's death, a partition, a merge (Vert.x 5.1.6, vertx-hazelcast 5.1.6, Hazelcast 5.6)
    new Line("eventbus-write-to-lost-peer", CONTEXT_LOGGER, LibraryLogs::failedEventBusWrite,
      "the event bus could not write a message to a peer whose connection had just closed; the message failed as "
      + "any message to a dead peer does (its request times out or is retried). Vert.x then throws "
      + "'Promise already completed' from the write's listener: a Vert.x 5.1.6 bug (SendContext.tryFail answers "
      + "false after failing the message, so Promise.fail throws; see docs/operations.md)",
      AFTER_A_PEER_LOSS, null),
    new Line("connection-reset", CONNECTION_LOGGER, (f, t) -> t == null && f.endsWith("Connection reset by peer"),
      "a peer or client closed its connection abruptly (a peer node died, a client reset)",
      AFTER_A_PEER_LOSS, null),
    new Line("caller-not-member", "com.hazelcast.",
      (f, t) -> t instanceof CallerNotMemberException || t instanceof ResponseAlreadySentException,
      "a Hazelcast operation from or to a member that had just left or was split off; Hazelcast retries it on the "
      + "partition's new owner", AFTER_A_PEER_LOSS, null),
    new Line("mastership-claim-by-non-member", FETCH_MEMBERS_VIEW,
      (f, t) -> t instanceof IllegalArgumentException && f.endsWith("claims mastership but it is not a member!"),
      "a member that this node had already removed (after a partition or a pause) claimed to be the new master; "
      + "this node refused, and the two sides join again by Hazelcast's split-brain merge",
      "Nothing to do unless GET /nodes still shows two clusters a minute after the network healed.", null),
    new Line("mastership-claim-against-master", FETCH_MEMBERS_VIEW,
      (f, t) -> t instanceof IllegalArgumentException && f.endsWith("claims mastership but this node is master!"),
      "after a partition or a pause, a member of the other side that had not yet removed this node claimed to be "
      + "the new master of their old cluster, while this node had already become the master of its own side; this "
      + "node refused, the claimant goes on without it, and the two sides join again by Hazelcast's split-brain merge",
      "Nothing to do unless GET /nodes still shows two clusters a minute after the network healed.", null),
    new Line("heartbeat-without-master", HEARTBEAT,
      (f, t) -> t instanceof NullPointerException
        && thrownAt(t, "com.hazelcast.internal.cluster.impl.MembershipManager", "isMemberSuspected")
        && thrownAt(t, "com.hazelcast.internal.cluster.impl.ClusterHeartbeatManager", "onInvalidHeartbeat"),
      "a heartbeat came from a node that is not (or no longer) a member while this node had no master (its master "
      + "had just left, or it was joining); Hazelcast 5.6 looks the missing master up without a null check. The "
      + "heartbeat is ignored and the membership settles by itself",
      "Nothing to do unless GET /nodes still shows two clusters a minute after the network healed.", null),
    new Line("member-removed-while-joining", HAZELCAST_CLUSTER_MANAGER,
      (f, t) -> f.equals("Failed to handle memberRemoved") && causedBy(t, NullPointerException.class,
        "io.vertx.spi.cluster.hazelcast.impl.HazelcastNodeInfo", "writeData"),
      "a member left while this node was still joining, before its event bus had started; vertx-hazelcast 5.1.6 "
      + "then tries to re-publish this node's event-bus address, which it does not have yet (it cleaned the "
      + "departed member's handlers first; the event bus publishes this node's address when it starts)",
      "Nothing to do unless this node never becomes healthy (GET /health).", null),
    // ---- a split-brain merge (Hazelcast 5.6)
    new Line("merge-freeze-during-migrations", LOCK_CLUSTER_STATE, (f, t) -> t == null
        && f.contains("Still have pending migration tasks, cannot lock cluster state!") && f.contains("newState=FROZEN"),
      "the side of a split brain that merges into the other froze its cluster state first, as Hazelcast's merge "
      + "does, while partitions were still migrating after the split; Hazelcast refused the freeze and tries again "
      + "every second, else postpones the merge to its next attempt (WARN 'While changing cluster state to FROZEN!' "
      + "of TcpIpJoiner)",
      "Nothing to do unless GET /nodes still shows two clusters a few minutes after the network healed.", null),
    new Line("merge-freeze-member-list-changed", LOCK_CLUSTER_STATE, (f, t) -> t == null
        && f.contains("Can not lock cluster state! Member list versions are not matching!"),
      "the side of a split brain that merges into the other froze its cluster state first, as Hazelcast's merge "
      + "does, while its member list changed (a member joined or was removed meanwhile); Hazelcast abandons this "
      + "attempt and merges at its next one (campaign seed 1005)",
      "Nothing to do unless GET /nodes still shows two clusters a few minutes after the network healed.", null),
    new Line("merge-skips-loading-map", OPERATION_EXECUTOR, (f, t) -> f.contains("Failed to process: "
        + "com.hazelcast.spi.impl.merge.AbstractSplitBrainHandlerService$StoreCollector")
        && t instanceof RetryableHazelcastException && t.getMessage() != null
        && t.getMessage().contains("is still loading data from external store")
        && thrownAt(t, "com.hazelcast.map.impl.MapSplitBrainHandlerService", "hasEntries"),
      "this member, merging into the other side after a split brain, could not collect one partition's entries for "
      + "the merge: a persisted map was still loading from the store there (its database unreachable, on a partition "
      + "this side took over with no copy of it). Hazelcast 5.6 does not retry: that map's and the following maps' "
      + "entries of this side in that partition are not merged and are dropped as the member rejoins. The loading "
      + "map held none that was acknowledged (it refused every operation); the others can hold writes acknowledged "
      + "on this side during the split (none with cluster.minimumSize: the merging side is below it)",
      "Nothing to do for the node. Without cluster.minimumSize, writes made on this side during the split may be "
      + "lost, as the split-brain guarantee says (docs/durability.md); it happens only while the database is "
      + "unreachable as the split heals.",
      null),
    // ---- a promotion cut by a pause (Hazelcast 5.6: MigrationManagerImpl retries it; StuckMigration watches)
    new Line("promotion-commit-timeout", MIGRATION_MANAGER, (f, t) -> f.contains("Promotion commit to ")
        && f.contains(" failed for ") && t != null && t.getCause() instanceof com.hazelcast.core.OperationTimeoutException,
      "this member paused (a GC pause, SIGSTOP, a suspended VM) longer than failure detection while it promoted backups "
      + "after a member left: the promotion's commit did not start in time, and Hazelcast tries it again",
      "Nothing if /health answers 200 a minute later. If the promotion never ends, the node logs 'Hazelcast's partition "
      + "migration on this member has been stuck' after cluster.stuckMigrationMs and stops with exit code 70 (unless "
      + "cluster.stuckMigrationExit is false): start it again, as its supervisor does (docs/operations.md).", null),
    new Line("promotion-commit-stale", PROMOTION_COMMIT, (f, t) -> t == null && f.contains("Promotion of ")
        && f.contains(" partitions failed.") && f.contains("Promotion partition state stamp: ")
        && f.contains("current partition state stamp: "),
      "this member paused (a GC pause, SIGSTOP, a suspended VM) or was cut off while the master asked it to promote "
      + "backups after a member left; when it ran the request, the cluster's partition table had moved on (the others "
      + "had removed it meanwhile), so Hazelcast refused the stale promotion; the master promotes again, or this member "
      + "leaves and merges back (campaign seed 2425)",
      "Nothing if /health answers 200 a minute later. If GET /nodes still shows two clusters a few minutes after the "
      + "member resumed, restart it.", null),
    new Line("replicated-map-stats-race", EVENT_SERVICE, (f, t) -> f.contains(" caught an exception while processing:")
        && t instanceof java.util.ConcurrentModificationException
        && thrownAt(t, "com.hazelcast.replicatedmap.impl.ReplicatedMapEventPublishingService", "dispatchEvent"),
      "Hazelcast 5.6 counts the events of each replicated map in a plain HashMap that several event threads update; "
      + "the first events of two maps (the cache's and the tasks module's held partitions, after a loss) collided "
      + "there. The listener had already been called (the count comes after it): no event was lost",
      "Nothing to do.", null),
    // ---- a join refused by the cluster (Hazelcast 5.6 shuts the joining member down; Steward retries or says why)
    new Line("join-refused", SECURITY, (f, t) -> t == null
        && f.endsWith("Node could not join cluster. Before join check failed node is going to shutdown now!"),
      "a member of the cluster refused this starting node's join (the next line says why); Hazelcast shut this "
      + "node's member down", STARTUP_SAYS, null),
    new Line("join-refused-cluster-state", SECURITY, (f, t) -> t == null
        && f.contains("Reason of failure for node join: Cluster state either is locked or doesn't allow new members "
        + "to join"),
      "the cluster's state (FROZEN or PASSIVE: a split-brain merge freezes the merging side for a few seconds, or "
      + "an operator froze the cluster) lets no new member in", STARTUP_SAYS, null),
    new Line("join-failed-shutdown", HZ_NODE, (f, t) -> t == null && f.endsWith("Could not join cluster. Shutting down now!"),
      "this starting node's Hazelcast member did not join (refused, or no answer in time) and shut down",
      STARTUP_SAYS, null),
    new Line("joiner-after-shutdown", TCP_IP_JOINER, (f, t) -> t instanceof HazelcastInstanceNotActiveException
        && thrownAt(t, TCP_IP_JOINER, "tryJoinAddresses"),
      "the join loop of this starting node's Hazelcast member ran once more after the member had shut down (its join "
      + "was refused)", STARTUP_SAYS, null),
    new Line("clustered-vertx-not-started", VERTX, (f, t) -> f.equals("Failed to initialize clustered Vert.x")
        && t instanceof IllegalStateException && "Node failed to start!".equals(t.getMessage())
        && thrownAt(t, "com.hazelcast.instance.impl.HazelcastInstanceImpl", "<init>"),
      "the clustered Vert.x of this starting node did not start because its Hazelcast member did not join",
      STARTUP_SAYS, null),
    new Line("leave-after-failed-join", VERTX, (f, t) -> f.equals("Failed to leave cluster")
        && t instanceof NullPointerException && thrownIn(t, HAZELCAST_CLUSTER_MANAGER, "lambda$leave"),
      "the clustered Vert.x whose Hazelcast member did not join closed, and vertx-hazelcast 5.1.6 cleans up a "
      + "subscription map it never made (HazelcastClusterManager.leave without a null check); there was no cluster "
      + "to leave", STARTUP_SAYS, null),
    // ---- the store's start (Flyway 11)
    new Line("schema-connection-lost", FLYWAY_TRANSACTION, (f, t) -> t instanceof java.sql.SQLException
        && (f.equals("Unable to rollback transaction") || f.startsWith("Unable to restore autocommit to original value"))
        && thrownIn(t, FLYWAY_TRANSACTION, "execute"),
      "the connection to the database broke while the store checked or migrated its schema at start (the database "
      + "unreachable or restarting); Flyway could not roll back or reset the dead connection, and nothing was changed",
      "Nothing for this line: the store's WARN 'Store: the database at … is not usable yet' says it tries again (until "
      + "store.startupTimeoutMs); restore the database if it stays unreachable.", null),
    // ---- a node's own stop (Vert.x 5.1.6)
    new Line("undeploy-still-in-flight", DEPLOYMENT_MANAGER, LibraryLogs::undeployStillInFlight,
      "the node closed Vert.x while a module it had begun to stop was still stopping: the module had not finished "
      + "its in-flight work within shutdown.drainMs (the node's own WARN 'Stopped, but not cleanly: module ... did "
      + "not stop within ... ms' names it), and Vert.x's close, which undeploys whatever is left, found that module "
      + "already being undeployed; the module stopped with the node",
      "Nothing to do for this line. If a module often needs longer (a partition or a slow database can hold its "
      + "stop), raise shutdown.drainMs.", null));

  private final ConcurrentHashMap<String, RateLimitedLog> warns = new ConcurrentHashMap<>();

  @Override
  public FilterReply decide(Marker marker, Logger logger, Level level, String format, Object[] params, Throwable t) {
    if (level != Level.ERROR || format == null) {
      return FilterReply.NEUTRAL;
    }
    String name = logger.getName();
    for (Line line : LINES) {
      if (line.loggedBy(name) && line.matches().test(format, t)) {
        String to = line.warnTo() == null ? name : line.warnTo();
        warns.computeIfAbsent(to, n -> new RateLimitedLog(logger.getLoggerContext().getLogger(n), 10_000))
          .warn(line.kind(), text(line, format, t));
        return FilterReply.DENY;
      }
    }
    return FilterReply.NEUTRAL;
  }

  /** The WARN: the library's line (abbreviated), then what it means and what to do. */
  static String text(Line line, String format, Throwable t) {
    String said = t == null ? format : format.equals(t.getMessage()) ? t.toString() : format + " (" + t + ")";
    return "Library line '" + abbreviate(said) + "' (" + line.kind() + "): " + line.why() + ". " + line.todo();
  }

  /**
   * Vert.x 5.1.6's clustered event bus, on a failed write to a peer: {@code OutboundConnection.writeMessage}
   * passes the message's {@code SendContext} as the write's listener; the write fails (the peer's connection died
   * with the message in its buffer, or had closed); {@code Promise.complete(result, failure)} calls
   * {@code fail}, and SendContext's {@code tryFail} answers false although it failed the message, so {@code fail}
   * throws. The write either failed at once (the stack passes {@code OutboundConnection.writeMessage}), or when
   * Netty failed the flushed buffer ({@code DelegatingChannelPromise.tryFailure}), or when the connection closed with
   * the write still in Vert.x's outbound queue ({@code DelegatingChannelPromise.setFailure}), or the listener's call was queued
   * on the connection's event loop (only Netty's task queue under Vert.x's {@code EmitResultTask}). Between the throw and that
   * frame there is only Vert.x's future machinery (a listener of Steward's own would show there; Steward passes no
   * listener to a socket write); below it, whoever sent the message (Steward's code, for a write that failed at once).
   */
  static boolean failedEventBusWrite(String format, Throwable t) {
    if (!format.equals("Unhandled exception") || !(t instanceof IllegalStateException)
      || !"Promise already completed".equals(t.getMessage())) {
      return false;
    }
    StackTraceElement[] stack = t.getStackTrace();
    if (stack.length < 2 || !stack[0].getClassName().equals("io.vertx.core.Promise")
      || !stack[0].getMethodName().equals("fail")) {
      return false;
    }
    // The listener's call queued on the connection's event loop (the write failed on another thread, or before the
    // listener was added): the bare Promise is called by a queued EmitResultTask with only Netty's task queue below.
    // Steward passes a Promise as a listener in two places (FanoutVerticle.sending, ShardVerticle.drain), each a
    // fresh promise completed there only.
    if (stack.length > 3 && stack[1].getClassName().equals("io.vertx.core.Promise")
      && stack[2].getClassName().equals("io.vertx.core.impl.future.FutureBase$EmitResultTask")
      && stack[2].getMethodName().equals("run")
      && java.util.Arrays.stream(stack, 3, stack.length).allMatch(e -> e.getClassName().startsWith("io.netty.")
        || e.getClassName().equals("java.lang.Thread"))) {
      return true;
    }
    // From the throw down to the failed write, only Vert.x's future machinery: the listener is Vert.x's own.
    for (StackTraceElement e : stack) {
      String c = e.getClassName();
      if (c.equals("io.vertx.core.eventbus.impl.clustered.OutboundConnection") && e.getMethodName().equals("writeMessage")
        || c.equals("io.vertx.core.net.impl.DelegatingChannelPromise") && e.getMethodName().equals("tryFailure")
        // the write still in Vert.x's outbound queue as the connection closed: the queue's release cancels it (seed 1041)
        || c.equals("io.vertx.core.net.impl.DelegatingChannelPromise") && e.getMethodName().equals("setFailure")) {
        return true;
      }
      if (!c.startsWith("io.vertx.core.")) {
        return false;
      }
    }
    return false;
  }

  /**
   * Vert.x 5.1.6's {@code vertx.close()} undeploys every deployment still listed ({@code undeployAll}); one whose
   * undeploy {@link io.steward.node.StewardNode#stop} began and whose verticle has not finished stopping is still
   * listed but already undeploying, so {@code DeploymentContextImpl.undeploy} answers "Already undeployed" and
   * {@code undeployAll} logs it at ERROR. There is no public way to close Vert.x without that pass, nor to wait for a
   * verticle's stop without a bound; Steward's stop is what closed Vert.x (its frame is on the stack).
   */
  static boolean undeployStillInFlight(String format, Throwable t) {
    return format.equals("Undeploy failed") && t instanceof IllegalStateException
      && "Already undeployed".equals(t.getMessage())
      && thrownAt(t, DEPLOYMENT_MANAGER + "$DeploymentContextImpl", "undeploy")
      && thrownAt(t, DEPLOYMENT_MANAGER, "undeployAll")
      && java.util.Arrays.stream(t.getStackTrace()).anyMatch(e -> e.getClassName().equals("io.steward.node.StewardNode"));
  }

  private static boolean causedBy(Throwable t, Class<? extends Throwable> type, String className, String method) {
    for (Throwable c = t; c != null; c = c.getCause() == c ? null : c.getCause()) {
      if (type.isInstance(c) && thrownAt(c, className, method)) {
        return true;
      }
    }
    return false;
  }

  /** Thrown in a method of {@code className} whose name starts with {@code methodPrefix} (a lambda's name). */
  private static boolean thrownIn(Throwable t, String className, String methodPrefix) {
    for (StackTraceElement e : t.getStackTrace()) {
      if (e.getClassName().equals(className) && e.getMethodName().startsWith(methodPrefix)) {
        return true;
      }
    }
    return false;
  }

  private static boolean thrownAt(Throwable t, String className, String method) {
    for (StackTraceElement e : t.getStackTrace()) {
      if (e.getClassName().equals(className) && e.getMethodName().equals(method)) {
        return true;
      }
    }
    return false;
  }

  private static String abbreviate(String s) {
    return s.length() <= 300 ? s : s.substring(0, 300) + "…";
  }
}
