package io.steward.spi;

import ch.qos.logback.classic.Level;
import ch.qos.logback.classic.Logger;
import ch.qos.logback.classic.LoggerContext;
import ch.qos.logback.classic.spi.ILoggingEvent;
import ch.qos.logback.core.read.ListAppender;
import ch.qos.logback.core.spi.FilterReply;
import com.hazelcast.core.HazelcastInstanceNotActiveException;
import com.hazelcast.nio.serialization.HazelcastSerializationException;
import com.hazelcast.spi.exception.CallerNotMemberException;
import com.hazelcast.spi.exception.ResponseAlreadySentException;
import com.hazelcast.spi.exception.RetryableHazelcastException;
import com.hazelcast.spi.exception.TargetNotMemberException;
import org.junit.jupiter.api.Test;

import java.io.IOException;
import java.util.List;
import java.util.stream.Collectors;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * Every row of {@link LibraryLogs#LINES} against the library's real line: the logger, message and exception (with
 * the frames that matter) copied from node logs of the campaign (docs/campaign.md) and the bridge tests.
 */
class LibraryLogsTest {

  private final LoggerContext context = new LoggerContext();
  private final LibraryLogs filter = new LibraryLogs();
  private final ListAppender<ILoggingEvent> logged = new ListAppender<>();

  LibraryLogsTest() {
    logged.setContext(context);
    logged.start();
    context.getLogger(Logger.ROOT_LOGGER_NAME).addAppender(logged);
  }

  /** One real library line, and the row that must take it. */
  record Sample(String kind, String logger, String format, Throwable t, String warnTo) {
  }

  private static StackTraceElement at(String className, String method) {
    return new StackTraceElement(className, method, null, 1);
  }

  private static <T extends Throwable> T thrown(T t, StackTraceElement... stack) {
    t.setStackTrace(stack);
    return t;
  }

  /** Seeds 101 and 108 (campaign-runs/101/logs/node2.log:321): a peer's connection died with writes flushed. */
  static IllegalStateException promiseAlreadyCompletedFromNetty() {
    return thrown(new IllegalStateException("Promise already completed"),
      at("io.vertx.core.Promise", "fail"),
      at("io.vertx.core.Promise", "complete"),
      at("io.vertx.core.impl.future.FutureBase$EmitResultTask", "run"),
      at("io.vertx.core.impl.ContextBase", "execute"),
      at("io.vertx.core.impl.future.FutureBase", "emitResult"),
      at("io.vertx.core.impl.future.FutureImpl", "completeInternal"),
      at("io.vertx.core.impl.future.FutureImpl", "tryFail"),
      at("io.vertx.core.net.impl.DelegatingChannelPromise", "tryFailure"),
      at("io.netty.util.internal.PromiseNotificationUtil", "tryFailure"),
      at("io.netty.channel.ChannelOutboundBuffer", "safeFail"),
      at("io.netty.channel.ChannelOutboundBuffer", "remove0"),
      at("io.netty.channel.ChannelOutboundBuffer", "failFlushed"),
      at("io.netty.channel.AbstractChannel$AbstractUnsafe", "close"),
      at("io.netty.channel.AbstractChannel$AbstractUnsafe", "handleWriteError"),
      at("io.netty.channel.AbstractChannel$AbstractUnsafe", "flush0"),
      at("io.netty.channel.epoll.AbstractEpollChannel$AbstractEpollUnsafe", "epollOutReady"),
      at("java.lang.Thread", "run"));
  }

  /**
   * The same bug when the write fails at once (CI seed 33535, node1.log:16): the listener is called inside
   * writeMessage, under the Steward code that sent the request.
   */
  static IllegalStateException promiseAlreadyCompletedInWriteMessage() {
    return thrown(new IllegalStateException("Promise already completed"),
      at("io.vertx.core.Promise", "fail"),
      at("io.vertx.core.Promise", "complete"),
      at("io.vertx.core.impl.future.FutureBase$EmitResultTask", "run"),
      at("io.vertx.core.impl.ContextBase", "execute"),
      at("io.vertx.core.impl.future.FutureBase", "emitResult"),
      at("io.vertx.core.impl.future.FutureImpl", "addListener"),
      at("io.vertx.core.impl.future.FutureBase", "onComplete"),
      at("io.vertx.core.eventbus.impl.clustered.OutboundConnection", "writeMessage"),
      at("io.vertx.core.eventbus.impl.clustered.ClusteredEventBus", "sendRemote"),
      at("io.vertx.core.eventbus.impl.clustered.ClusteredEventBus", "sendToNode"),
      at("io.vertx.core.eventbus.impl.clustered.ClusteredEventBus", "lambda$sendOrPub$5"),
      at("io.vertx.core.Completable", "succeed"),
      at("io.vertx.core.eventbus.impl.clustered.DefaultNodeSelector", "selectFor"),
      at("io.vertx.core.eventbus.impl.clustered.ClusteredEventBus", "sendOrPub"),
      at("io.vertx.core.eventbus.impl.SendContext", "send"),
      at("io.vertx.core.eventbus.impl.EventBusImpl", "request"),
      at("io.steward.http.Forward", "send"),
      at("io.steward.http.Forward", "lambda$forward$4"),
      at("io.vertx.ext.web.impl.RouteState", "dispatch"));
  }

  /**
   * The same bug when the listener's call was queued on the connection's event loop (campaign seed 33535 under load,
   * node2.log at 21:59:56, 5 ms after its connection to a killed node closed): nothing but Netty's task queue below.
   */
  static IllegalStateException promiseAlreadyCompletedQueued() {
    return thrown(new IllegalStateException("Promise already completed"),
      at("io.vertx.core.Promise", "fail"),
      at("io.vertx.core.Promise", "complete"),
      at("io.vertx.core.impl.future.FutureBase$EmitResultTask", "run"),
      at("io.netty.util.concurrent.AbstractEventExecutor", "runTask"),
      at("io.netty.util.concurrent.AbstractEventExecutor", "safeExecute"),
      at("io.netty.util.concurrent.SingleThreadEventExecutor", "runAllTasks"),
      at("io.netty.channel.SingleThreadIoEventLoop", "run"),
      at("io.netty.util.concurrent.SingleThreadEventExecutor$5", "run"),
      at("io.netty.util.internal.ThreadExecutorMap$2", "run"),
      at("io.netty.util.concurrent.FastThreadLocalRunnable", "run"),
      at("java.lang.Thread", "run"));
  }

  /**
   * The same bug when the write was still in Vert.x's outbound queue as the connection closed (long campaign of
   * 2026-12-07 on the morning's code, seed 1041, node3.log:11, after a peer was killed): the queue's release cancels
   * the write, and its promise fails.
   */
  static IllegalStateException promiseAlreadyCompletedOnClose() {
    return thrown(new IllegalStateException("Promise already completed"),
      at("io.vertx.core.Promise", "fail"),
      at("io.vertx.core.Promise", "complete"),
      at("io.vertx.core.impl.future.FutureBase$EmitResultTask", "run"),
      at("io.vertx.core.impl.ContextBase", "execute"),
      at("io.vertx.core.impl.future.FutureBase", "emitResult"),
      at("io.vertx.core.impl.future.FutureImpl", "completeInternal"),
      at("io.vertx.core.impl.future.FutureImpl", "tryFail"),
      at("io.vertx.core.net.impl.DelegatingChannelPromise", "setFailure"),
      at("io.vertx.core.net.impl.VertxConnection$1", "cancel"),
      at("io.vertx.core.net.impl.VertxConnection$InternalMessageChannel", "handleDispose"),
      at("io.vertx.core.net.impl.VertxConnection$InternalMessageChannel", "handleDispose"),
      at("io.vertx.core.internal.concurrent.OutboundMessageQueue", "releaseMessages"),
      at("io.vertx.core.internal.concurrent.OutboundMessageQueue", "close"),
      at("io.vertx.core.net.impl.VertxConnection", "handleClosed"),
      at("io.vertx.core.net.impl.tcp.NetSocketImpl", "handleClosed"),
      at("io.vertx.core.net.impl.VertxHandler", "channelInactive"),
      at("io.netty.channel.AbstractChannelHandlerContext", "fireChannelInactive"),
      at("io.netty.util.concurrent.SingleThreadEventExecutor$5", "run"),
      at("java.lang.Thread", "run"));
  }

  static final String NOT_MEMBER = "[10.100.236.2]:5701 [Campaign-105f019b] [5.6.0] Not Member! this: [10.100.236.2]:5701, "
    + "caller: [10.100.236.1]:5701, partitionId: -1, operation: PartitionIteratingOperation, service: hz:impl:mapService";
  static final String RESPONDED = "[10.167.27.1]:5701 [Campaign-dea36825] [5.6.0] NormalResponse already "
    + "responseReceived for callback: Invocation{op=PutIfAbsentOperation}";
  /** Seed 101, campaign-runs/101/logs/node1.log:79. */
  static final String CLAIMS = "[10.119.208.1]:5701 [Campaign-4d5aa46b] [5.6.0] [10.119.208.3]:5701 claims mastership "
    + "but it is not a member!";
  /** Seed 1024, campaign/1024/logs/node5.log:94: node5, alone after a partition, was master of its own side. */
  static final String CLAIMS_AGAINST_MASTER = "[10.156.226.5]:5701 [Campaign-f44f4a51] [5.6.0] [10.156.226.2]:5701 "
    + "claims mastership but this node is master!";
  /** Seed 14960 run 1, node1.log:3. */
  static final String HEARTBEAT_NPE = "Cannot invoke \"Object.hashCode()\" because \"key\" is null";

  static IllegalArgumentException claim() {
    return thrown(new IllegalArgumentException("[10.119.208.3]:5701 claims mastership but it is not a member!"),
      at("com.hazelcast.internal.util.Preconditions", "checkTrue"),
      at("com.hazelcast.internal.cluster.impl.ClusterServiceImpl", "handleMastershipClaim"),
      at("com.hazelcast.internal.cluster.impl.operations.FetchMembersViewOp", "run"));
  }

  static IllegalArgumentException claimAgainstMaster() {
    return thrown(new IllegalArgumentException("[10.156.226.2]:5701 claims mastership but this node is master!"),
      at("com.hazelcast.internal.util.Preconditions", "checkFalse"),
      at("com.hazelcast.internal.cluster.impl.ClusterServiceImpl", "handleMastershipClaim"),
      at("com.hazelcast.internal.cluster.impl.operations.FetchMembersViewOp", "run"));
  }

  /**
   * Seed 1024, node5.log:46868 and :46898: a merge's entries, and vertx-hazelcast's clean-up of a departed node,
   * aborted after two minutes of retries on a partition still assigned to a member that had left (the member was
   * alone in FROZEN, node/FrozenAlone). Real failures (entries not merged; Vert.x not told the node left): ERRORs.
   */
  static TargetNotMemberException notMemberRetriesExhausted(String operation) {
    return thrown(new TargetNotMemberException("Not Member! target: [10.156.226.2]:5701 - "
        + "ef33d58e-1b7a-45a1-abd2-fcdd5079cfe7, partitionId: 150, operation: " + operation),
      at("com.hazelcast.spi.impl.operationservice.impl.Invocation", "initInvocationTarget"),
      at("com.hazelcast.spi.impl.operationservice.impl.Invocation", "doInvoke"),
      at("com.hazelcast.spi.impl.operationservice.impl.Invocation$InvocationRetryTask", "run"));
  }

  static NullPointerException heartbeatNpe() {
    return thrown(new NullPointerException(HEARTBEAT_NPE),
      at("java.util.concurrent.ConcurrentHashMap", "get"),
      at("java.util.concurrent.ConcurrentHashMap", "containsKey"),
      at("java.util.concurrent.ConcurrentHashMap$KeySetView", "contains"),
      at("com.hazelcast.internal.cluster.impl.MembershipManager", "isMemberSuspected"),
      at("com.hazelcast.internal.cluster.impl.ClusterHeartbeatManager", "onInvalidHeartbeat"),
      at("com.hazelcast.internal.cluster.impl.ClusterHeartbeatManager", "handleHeartbeat"),
      at("com.hazelcast.internal.cluster.impl.operations.HeartbeatOp", "run"));
  }

  /** Seed 14960 run 1, node2.log:10: the restarted node, while it joined. */
  static HazelcastSerializationException memberRemovedWhileJoining() {
    NullPointerException cause = thrown(new NullPointerException(
        "Cannot invoke \"io.vertx.core.spi.cluster.NodeInfo.host()\" because \"this.nodeInfo\" is null"),
      at("io.vertx.spi.cluster.hazelcast.impl.HazelcastNodeInfo", "writeData"),
      at("com.hazelcast.internal.serialization.impl.VersionedDataSerializableSerializer", "write"));
    return thrown(new HazelcastSerializationException(
        "Failed to serialize 'io.vertx.spi.cluster.hazelcast.impl.HazelcastNodeInfo'", cause),
      at("com.hazelcast.internal.serialization.impl.SerializationUtil", "handleSerializeException"),
      at("com.hazelcast.map.impl.proxy.MapProxyImpl", "put"),
      at("io.vertx.spi.cluster.hazelcast.HazelcastClusterManager", "membersRemoved"),
      at("io.vertx.spi.cluster.hazelcast.HazelcastClusterManager", "memberRemoved"));
  }

  /** Seed 1005, node3.log:147-213: node3, restarted while a merge had left a member FROZEN, refused. */
  static final String SEED_1005_NODE3 = "[10.191.171.3]:5701 [Campaign-4c1079fd] [5.6.0] ";
  static final String FROZEN_REASON = "Reason of failure for node join: Cluster state either is locked or doesn't "
    + "allow new members to join -> ClusterState{state=FROZEN, lock=LockGuard{lockOwner=null, lockOwnerId='null', "
    + "lockExpiryTime=0}}";

  static HazelcastInstanceNotActiveException joinerAfterShutdown() {
    return thrown(new HazelcastInstanceNotActiveException("Hazelcast instance is not active!"),
      at("com.hazelcast.internal.serialization.impl.AbstractSerializationService", "serializerFor"),
      at("com.hazelcast.spi.impl.operationservice.impl.OperationServiceImpl", "send"),
      at("com.hazelcast.internal.cluster.impl.ClusterJoinManager", "sendMasterQuestion"),
      at("com.hazelcast.internal.cluster.impl.TcpIpJoiner", "sendMasterQuestion"),
      at("com.hazelcast.internal.cluster.impl.TcpIpJoiner", "tryJoinAddresses"),
      at("com.hazelcast.internal.cluster.impl.TcpIpJoiner", "joinViaPossibleMembers"),
      at("com.hazelcast.internal.cluster.impl.AbstractJoiner", "join"),
      at("com.hazelcast.instance.impl.Node", "join"),
      at("com.hazelcast.instance.impl.Node", "start"));
  }

  static IllegalStateException nodeFailedToStart() {
    return thrown(new IllegalStateException("Node failed to start!"),
      at("com.hazelcast.instance.impl.HazelcastInstanceImpl", "<init>"),
      at("com.hazelcast.instance.impl.HazelcastInstanceFactory", "constructHazelcastInstance"),
      at("com.hazelcast.core.Hazelcast", "newHazelcastInstance"),
      at("io.vertx.spi.cluster.hazelcast.HazelcastClusterManager", "lambda$join$1"));
  }

  static NullPointerException leaveWithoutSubscriptions() {
    return thrown(new NullPointerException("Cannot invoke \"io.vertx.spi.cluster.hazelcast.impl.SubsMapHelper.close()\" "
        + "because \"this.subsMapHelper\" is null"),
      at("io.vertx.spi.cluster.hazelcast.HazelcastClusterManager", "lambda$leave$5"),
      at("io.vertx.core.impl.ExecuteBlocking$1", "execute"));
  }

  /** Seed 1005, node2.log:195 (and node5.log:180): the merging side's master freezing it during migrations. */
  static final String FREEZE_DURING_MIGRATIONS = "[10.191.171.2]:5701 [Campaign-4c1079fd] [5.6.0] Still have pending "
    + "migration tasks, cannot lock cluster state! New state: ClusterStateChange{type=class "
    + "com.hazelcast.cluster.ClusterState, newState=FROZEN}, current state: ACTIVE";
  /** Seed 1006, node1.log:162 (27 of them in 10 ms): merging in while a persisted map was loading, database down. */
  static final String STORE_COLLECTOR = "[10.173.145.1]:5701 [Campaign-31fa28c1] [5.6.0] Failed to process: "
    + "com.hazelcast.spi.impl.merge.AbstractSplitBrainHandlerService$StoreCollector@7100eacf on: "
    + "hz.gracious_haibt.partition-operation.thread-1";

  static RetryableHazelcastException stillLoading(String where, String method) {
    return thrown(new RetryableHazelcastException("Map steward.tasks.records is still loading data from external store"),
      at("com.hazelcast.map.impl.recordstore.DefaultRecordStore", "checkIfLoaded"),
      at("com.hazelcast.map.impl.recordstore.DefaultRecordStore", "isEmpty"),
      at("com.hazelcast.map.impl.MapSplitBrainHandlerService", "hasEntries"),
      at(where, method),
      at("com.hazelcast.spi.impl.operationservice.impl.OperationRunnerImpl", "run"),
      at("com.hazelcast.spi.impl.operationexecutor.impl.OperationThread", "process"));
  }

  static final List<Sample> SAMPLES = List.of(
    new Sample("sockjs-invalid-type", LibraryLogs.SOCKJS_LOGGER, "Invalid type in incoming message: nope", null,
      "io.steward.http.SockJsBridge"),
    new Sample("sockjs-reply-address", LibraryLogs.SOCKJS_LOGGER,
      "Will not send message, reply address is > 36 chars", null, "io.steward.http.SockJsBridge"),
    new Sample("sockjs-socket", LibraryLogs.SOCKJS_LOGGER, "SockJSSocket exception",
      new IllegalStateException("Cannot process text frame of size 65536"), "io.steward.http.SockJsBridge"),
    new Sample("tcp-socket", LibraryLogs.TCP_LOGGER, "Connection reset by peer",
      new IOException("Connection reset by peer"), "io.steward.bridge.BridgeVerticle"),
    new Sample("tcp-no-address", LibraryLogs.TCP_LOGGER, "msg does not have address: {\"type\":\"send\"}", null,
      "io.steward.bridge.BridgeVerticle"),
    new Sample("eventbus-write-to-lost-peer", LibraryLogs.CONTEXT_LOGGER, "Unhandled exception",
      promiseAlreadyCompletedFromNetty(), LibraryLogs.CONTEXT_LOGGER),
    new Sample("connection-reset", LibraryLogs.CONNECTION_LOGGER,
      "recvAddress(..) failed with error(-104): Connection reset by peer", null, LibraryLogs.CONNECTION_LOGGER),
    new Sample("caller-not-member", "com.hazelcast.spi.impl.operationservice.impl.operations.PartitionIteratingOperation",
      NOT_MEMBER, new CallerNotMemberException(NOT_MEMBER),
      "com.hazelcast.spi.impl.operationservice.impl.operations.PartitionIteratingOperation"),
    new Sample("mastership-claim-by-non-member", LibraryLogs.FETCH_MEMBERS_VIEW, CLAIMS, claim(),
      LibraryLogs.FETCH_MEMBERS_VIEW),
    new Sample("mastership-claim-against-master", LibraryLogs.FETCH_MEMBERS_VIEW, CLAIMS_AGAINST_MASTER,
      claimAgainstMaster(), LibraryLogs.FETCH_MEMBERS_VIEW),
    new Sample("heartbeat-without-master", LibraryLogs.HEARTBEAT,
      "[10.132.163.1]:5701 [Campaign-ae14f197] [5.6.0] " + HEARTBEAT_NPE, heartbeatNpe(), LibraryLogs.HEARTBEAT),
    new Sample("member-removed-while-joining", LibraryLogs.HAZELCAST_CLUSTER_MANAGER, "Failed to handle memberRemoved",
      memberRemovedWhileJoining(), LibraryLogs.HAZELCAST_CLUSTER_MANAGER),
    new Sample("join-refused", LibraryLogs.SECURITY, SEED_1005_NODE3
      + "Node could not join cluster. Before join check failed node is going to shutdown now!", null, LibraryLogs.SECURITY),
    new Sample("join-refused-cluster-state", LibraryLogs.SECURITY, SEED_1005_NODE3 + FROZEN_REASON, null,
      LibraryLogs.SECURITY),
    new Sample("join-failed-shutdown", LibraryLogs.HZ_NODE, SEED_1005_NODE3 + "Could not join cluster. Shutting down now!",
      null, LibraryLogs.HZ_NODE),
    new Sample("joiner-after-shutdown", LibraryLogs.TCP_IP_JOINER, SEED_1005_NODE3 + "Hazelcast instance is not active!",
      joinerAfterShutdown(), LibraryLogs.TCP_IP_JOINER),
    new Sample("clustered-vertx-not-started", LibraryLogs.VERTX, "Failed to initialize clustered Vert.x",
      nodeFailedToStart(), LibraryLogs.VERTX),
    new Sample("leave-after-failed-join", LibraryLogs.VERTX, "Failed to leave cluster", leaveWithoutSubscriptions(),
      LibraryLogs.VERTX),
    new Sample("merge-freeze-during-migrations", LibraryLogs.LOCK_CLUSTER_STATE, FREEZE_DURING_MIGRATIONS, null,
      LibraryLogs.LOCK_CLUSTER_STATE),
    new Sample("merge-freeze-member-list-changed", LibraryLogs.LOCK_CLUSTER_STATE, "[10.154.73.2]:5701 "
      + "[Campaign-8973dab2] [5.6.0] Can not lock cluster state! Member list versions are not matching! Expected version: "
      + "6, Current version: 7", null, LibraryLogs.LOCK_CLUSTER_STATE),
    new Sample("merge-skips-loading-map", LibraryLogs.OPERATION_EXECUTOR, STORE_COLLECTOR,
      stillLoading("com.hazelcast.spi.impl.merge.AbstractSplitBrainHandlerService$StoreCollector", "run"),
      LibraryLogs.OPERATION_EXECUTOR),
    new Sample("undeploy-still-in-flight", LibraryLogs.DEPLOYMENT_MANAGER, "Undeploy failed", alreadyUndeployed(
      at("io.steward.node.StewardNode", "lambda$stop$24")), LibraryLogs.DEPLOYMENT_MANAGER),
    // Seed 2095 (node3.log): the store opening during a database outage.
    // seed 2160: node2 resumed from a 9 s SIGSTOP while it promoted the backups of the member it had removed
    new Sample("promotion-commit-timeout", LibraryLogs.MIGRATION_MANAGER, "[10.155.206.2]:5701 [Campaign-40a8beb0] "
      + "[5.6.0] Promotion commit to [10.155.206.2]:5701 - c06e19b4-3d57-4673-8527-df72f6628404 failed for 136 migrations",
      new java.util.concurrent.ExecutionException(new com.hazelcast.core.OperationTimeoutException("PromotionCommitOperation "
        + "got rejected before execution due to not starting within the operation-call-timeout of: 4000 ms.")),
      LibraryLogs.MIGRATION_MANAGER),
    // seed 2425 replayed (node3.log): node3 resumed from a 9.8 s SIGSTOP with a promotion commit of the master queued
    new Sample("promotion-commit-stale", LibraryLogs.PROMOTION_COMMIT, "[10.118.236.3]:5701 [Campaign-28a7e291] [5.6.0] "
      + "Promotion of 23 partitions failed. . Promotion partition state stamp: 3725121361701073376, current partition "
      + "state stamp: -1952901367963806692", null, LibraryLogs.PROMOTION_COMMIT),
    // seed 2425 replayed (node1.log): the first events of two replicated maps dispatched at once
    new Sample("replicated-map-stats-race", LibraryLogs.EVENT_SERVICE, "[10.137.39.1]:5701 [Campaign-721c59fe] [5.6.0] "
      + "hz.nervous_poincare.event-5 caught an exception while processing:"
      + "com.hazelcast.spi.impl.eventservice.impl.LocalEventDispatcher@f14a4e8",
      thrown(new java.util.ConcurrentModificationException(), at("java.util.HashMap", "computeIfAbsent"),
        at("com.hazelcast.replicatedmap.impl.ReplicatedMapEventPublishingService", "dispatchEvent"),
        at("com.hazelcast.replicatedmap.impl.ReplicatedMapService", "dispatchEvent"),
        at("com.hazelcast.spi.impl.eventservice.impl.LocalEventDispatcher", "run")),
      LibraryLogs.EVENT_SERVICE),
    new Sample("schema-connection-lost", LibraryLogs.FLYWAY_TRANSACTION, "Unable to rollback transaction",
      closedConnection("rollback"), LibraryLogs.FLYWAY_TRANSACTION));

  /** Hikari's closed connection as Flyway met it creating the schema (seed 2095). */
  static java.sql.SQLException closedConnection(String call) {
    return thrown(new java.sql.SQLException("Connection is closed"),
      at("com.zaxxer.hikari.pool.ProxyConnection$ClosedConnection", "lambda$getClosedConnection$0"),
      at("com.zaxxer.hikari.pool.ProxyConnection", call),
      at(LibraryLogs.FLYWAY_TRANSACTION, "execute"),
      at("org.flywaydb.core.internal.command.DbSchemas", "create"),
      at("io.steward.store.Database", "migrate"));
  }

  /** Seed 1012 (notes/s16-startup-seed1012/logs/node4.log:25): vertx.close() met a module still stopping. */
  static IllegalStateException alreadyUndeployed(StackTraceElement closer) {
    return thrown(new IllegalStateException("Already undeployed"),
      at(LibraryLogs.DEPLOYMENT_MANAGER + "$DeploymentContextImpl", "undeploy"),
      at(LibraryLogs.DEPLOYMENT_MANAGER, "undeploy"),
      at(LibraryLogs.DEPLOYMENT_MANAGER, "undeployAll"),
      at("io.vertx.core.impl.VertxImpl", "lambda$close$12"),
      at("io.vertx.core.impl.future.Transformation", "complete"),
      at("io.vertx.core.impl.VertxImpl", "close"),
      closer,
      at("io.vertx.core.impl.future.Composition", "complete"));
  }

  private FilterReply decide(String loggerName, Level level, String format, Throwable t) {
    return filter.decide(null, context.getLogger(loggerName), level, format, null, t);
  }

  private FilterReply error(String loggerName, String format, Throwable t) {
    return decide(loggerName, Level.ERROR, format, t);
  }

  @Test
  void every_row_of_the_table_has_a_real_library_line_in_this_test() {
    assertThat(SAMPLES.stream().map(Sample::kind).collect(Collectors.toList()))
      .containsExactlyInAnyOrderElementsOf(LibraryLogs.LINES.stream().map(LibraryLogs.Line::kind).toList());
  }

  @Test
  void each_real_library_line_becomes_one_warn_that_says_what_happened_and_what_to_do() {
    for (Sample s : SAMPLES) {
      logged.list.clear();
      assertThat(error(s.logger(), s.format(), s.t())).as(s.kind()).isEqualTo(FilterReply.DENY);
      assertThat(logged.list).as(s.kind()).hasSize(1);
      ILoggingEvent warn = logged.list.get(0);
      LibraryLogs.Line row = LibraryLogs.LINES.stream().filter(l -> l.kind().equals(s.kind())).findFirst().orElseThrow();
      assertThat(warn.getLevel()).as(s.kind()).isEqualTo(Level.WARN);
      assertThat(warn.getLoggerName()).as(s.kind()).isEqualTo(s.warnTo());
      assertThat(warn.getThrowableProxy()).as(s.kind()).isNull();
      assertThat(warn.getFormattedMessage()).as(s.kind()).contains(s.kind(), row.why(), row.todo());
    }
  }

  @Test
  void the_event_bus_write_failure_is_recognised_in_every_shape_vertx_throws_it() {
    assertThat(error(LibraryLogs.CONTEXT_LOGGER, "Unhandled exception", promiseAlreadyCompletedInWriteMessage()))
      .isEqualTo(FilterReply.DENY);
    assertThat(logged.list).singleElement().satisfies(e ->
      assertThat(e.getFormattedMessage()).contains("Promise already completed", "SendContext.tryFail"));
    assertThat(error(LibraryLogs.CONTEXT_LOGGER, "Unhandled exception", promiseAlreadyCompletedQueued()))
      .isEqualTo(FilterReply.DENY);
    assertThat(error(LibraryLogs.CONTEXT_LOGGER, "Unhandled exception", promiseAlreadyCompletedOnClose()))
      .as("a queued write cancelled as its connection closed").isEqualTo(FilterReply.DENY);
  }

  @Test
  void a_queued_double_completion_with_a_listener_of_stewards_own_stays_an_error() {
    IllegalStateException queued = promiseAlreadyCompletedQueued();
    StackTraceElement[] stack = queued.getStackTrace();
    StackTraceElement[] withOurs = new StackTraceElement[stack.length + 1];
    System.arraycopy(stack, 0, withOurs, 0, 2);
    withOurs[2] = at("io.steward.fanout.FanoutVerticle", "lambda$sending$3");
    System.arraycopy(stack, 2, withOurs, 3, stack.length - 2);
    queued.setStackTrace(withOurs);
    assertThat(error(LibraryLogs.CONTEXT_LOGGER, "Unhandled exception", queued)).isEqualTo(FilterReply.NEUTRAL);
    // queued, but run by something other than Netty's task queue
    assertThat(error(LibraryLogs.CONTEXT_LOGGER, "Unhandled exception", thrown(
      new IllegalStateException("Promise already completed"), at("io.vertx.core.Promise", "fail"),
      at("io.vertx.core.Promise", "complete"), at("io.vertx.core.impl.future.FutureBase$EmitResultTask", "run"),
      at("io.steward.tasks.Mailbox", "drain"), at("java.lang.Thread", "run")))).isEqualTo(FilterReply.NEUTRAL);
    assertThat(logged.list).isEmpty();
  }

  @Test
  void a_burst_of_one_kind_is_one_warn_every_10_s() {
    // seed 108, node3: 55 of these within 50 ms
    for (int i = 0; i < 55; i++) {
      assertThat(error(LibraryLogs.CONTEXT_LOGGER, "Unhandled exception", promiseAlreadyCompletedFromNetty()))
        .isEqualTo(FilterReply.DENY);
    }
    assertThat(logged.list).hasSize(1);
  }

  /** The schema row's second line (the table's sample is its first). */
  @Test
  void flyway_s_reset_of_a_dead_connection_at_the_store_s_start_is_a_warn_too() {
    assertThat(error(LibraryLogs.FLYWAY_TRANSACTION, "Unable to restore autocommit to original value for connection",
      closedConnection("setAutoCommit"))).isEqualTo(FilterReply.DENY);
    assertThat(logged.list).singleElement().satisfies(w -> assertThat(w.getLevel()).isEqualTo(Level.WARN));
  }

  @Test
  void other_errors_of_the_same_libraries_stay_errors() {
    // another listener's failure on Hazelcast's event threads
    assertThat(error(LibraryLogs.EVENT_SERVICE, "hz.x.event-5 caught an exception while processing:x",
      thrown(new java.util.ConcurrentModificationException(), at("java.util.HashMap", "computeIfAbsent"),
        at("io.steward.cache.EntryEvents", "entryUpdated")))).isEqualTo(FilterReply.NEUTRAL);
    // a failed promotion for another reason than a stale partition table
    assertThat(error(LibraryLogs.PROMOTION_COMMIT, "Promotion of 23 partitions failed.", null))
      .isEqualTo(FilterReply.NEUTRAL);
    // Flyway's other ERRORs (a failed migration) stay errors
    assertThat(error(LibraryLogs.FLYWAY_TRANSACTION, "Migration of schema failed", closedConnection("rollback")))
      .isEqualTo(FilterReply.NEUTRAL);
    // a double completion in Steward's own code, with Netty's write failure below it
    IllegalStateException ours = promiseAlreadyCompletedFromNetty();
    StackTraceElement[] stack = ours.getStackTrace();
    StackTraceElement[] withOurs = new StackTraceElement[stack.length + 1];
    System.arraycopy(stack, 0, withOurs, 0, 2);
    withOurs[2] = at("io.steward.edge.TcpBridgeEvents", "reply");
    System.arraycopy(stack, 2, withOurs, 3, stack.length - 2);
    ours.setStackTrace(withOurs);
    assertThat(error(LibraryLogs.CONTEXT_LOGGER, "Unhandled exception", ours)).isEqualTo(FilterReply.NEUTRAL);
    // the same message thrown elsewhere; another unhandled exception
    assertThat(error(LibraryLogs.CONTEXT_LOGGER, "Unhandled exception", thrown(
      new IllegalStateException("Promise already completed"), at("io.vertx.core.Promise", "fail"),
      at("io.steward.tasks.Runner", "finish")))).isEqualTo(FilterReply.NEUTRAL);
    assertThat(error(LibraryLogs.CONTEXT_LOGGER, "Unhandled exception", new IllegalStateException("boom")))
      .isEqualTo(FilterReply.NEUTRAL);
    assertThat(error(LibraryLogs.CONNECTION_LOGGER, "Too many open files", null)).isEqualTo(FilterReply.NEUTRAL);
    // the reset on another logger; Hazelcast's "Not Member!" for a target (its own WARN) and other ERRORs
    assertThat(error("io.steward.bus.Bus", "Connection reset by peer", null)).isEqualTo(FilterReply.NEUTRAL);
    assertThat(error("com.hazelcast.spi.impl.operationservice.impl.Invocation", "Not Member!",
      new TargetNotMemberException("Not Member!"))).isEqualTo(FilterReply.NEUTRAL);
    assertThat(error("com.hazelcast.internal.cluster.impl.operations.LockClusterStateOp",
      "Still have pending migration tasks, cannot lock cluster state!", new IllegalStateException("x")))
      .isEqualTo(FilterReply.NEUTRAL);
    assertThat(error(LibraryLogs.FETCH_MEMBERS_VIEW, "something else", new IllegalArgumentException("x")))
      .isEqualTo(FilterReply.NEUTRAL);
    assertThat(error(LibraryLogs.HEARTBEAT, HEARTBEAT_NPE, thrown(new NullPointerException(HEARTBEAT_NPE),
      at("com.hazelcast.internal.cluster.impl.ClusterHeartbeatManager", "onHeartbeat")))).isEqualTo(FilterReply.NEUTRAL);
    assertThat(error(LibraryLogs.HAZELCAST_CLUSTER_MANAGER, "Failed to handle memberRemoved",
      new HazelcastSerializationException("x", new IllegalStateException("y")))).isEqualTo(FilterReply.NEUTRAL);
    assertThat(error(LibraryLogs.HAZELCAST_CLUSTER_MANAGER, "Failed to handle memberAdded",
      memberRemovedWhileJoining())).isEqualTo(FilterReply.NEUTRAL);
    // seed 1024: a merge whose entries were not merged, vertx-hazelcast's clean-up of a departed node aborted
    assertThat(error("com.hazelcast.internal.cluster.impl.ClusterMergeTask", "[10.156.226.5]:5701 [Campaign-f44f4a51] "
      + "[5.6.0] While merging...", notMemberRetriesExhausted("com.hazelcast.map.impl.operation.MergeOperation, "
      + "service: hz:impl:mapService"))).isEqualTo(FilterReply.NEUTRAL);
    assertThat(error(LibraryLogs.HAZELCAST_CLUSTER_MANAGER, "Failed to handle memberRemoved",
      notMemberRetriesExhausted("com.hazelcast.multimap.impl.operations.EntrySetOperation, service: "
      + "hz:impl:multiMapService"))).isEqualTo(FilterReply.NEUTRAL);
    // a mastership claim refused for another reason
    assertThat(error(LibraryLogs.FETCH_MEMBERS_VIEW, "Node is not joined!",
      new IllegalStateException("Node is not joined!"))).isEqualTo(FilterReply.NEUTRAL);
    // a join refused for another reason than the cluster state (the reason stays an ERROR); Vert.x's start and
    // leave failing otherwise; the joiner's other failures
    assertThat(error(LibraryLogs.SECURITY, SEED_1005_NODE3 + "Reason of failure for node join: Joining node's version "
      + "5.5.0 is not compatible with 5.6.0", null)).isEqualTo(FilterReply.NEUTRAL);
    assertThat(error(LibraryLogs.VERTX, "Failed to initialize clustered Vert.x",
      new IllegalStateException("Node failed to start!"))).isEqualTo(FilterReply.NEUTRAL);
    assertThat(error(LibraryLogs.VERTX, "Failed to initialize clustered Vert.x",
      new java.net.BindException("Address already in use"))).isEqualTo(FilterReply.NEUTRAL);
    assertThat(error(LibraryLogs.VERTX, "Failed to leave cluster", thrown(new NullPointerException("x"),
      at("io.vertx.core.eventbus.impl.clustered.ClusteredEventBus", "close")))).isEqualTo(FilterReply.NEUTRAL);
    assertThat(error(LibraryLogs.TCP_IP_JOINER, "Hazelcast instance is not active!", thrown(
      new HazelcastInstanceNotActiveException(), at("com.hazelcast.internal.cluster.impl.TcpIpJoiner", "searchForOtherClusters"))))
      .isEqualTo(FilterReply.NEUTRAL);
    assertThat(error(LibraryLogs.HZ_NODE, "Could not start the node", null)).isEqualTo(FilterReply.NEUTRAL);
    // a state change to other than FROZEN refused during migrations (an operator's PASSIVE); the merge's collector
    // failing otherwise; a map still loading under another runnable
    assertThat(error(LibraryLogs.LOCK_CLUSTER_STATE, FREEZE_DURING_MIGRATIONS.replace("newState=FROZEN",
      "newState=PASSIVE"), null)).isEqualTo(FilterReply.NEUTRAL);
    assertThat(error(LibraryLogs.OPERATION_EXECUTOR, STORE_COLLECTOR, thrown(new IllegalStateException("boom"),
      at("com.hazelcast.spi.impl.merge.AbstractSplitBrainHandlerService$StoreCollector", "run"))))
      .isEqualTo(FilterReply.NEUTRAL);
    assertThat(error(LibraryLogs.OPERATION_EXECUTOR, "[10.173.145.1]:5701 [c] [5.6.0] Failed to process: "
        + "com.hazelcast.map.impl.SomeTask@1 on: partition-operation.thread-1",
      stillLoading("com.hazelcast.map.impl.SomeTask", "run"))).isEqualTo(FilterReply.NEUTRAL);
    // Steward's own logger with a library's exception
    assertThat(error("io.steward.node.Node", "Not Member!", new CallerNotMemberException("Not Member!")))
      .isEqualTo(FilterReply.NEUTRAL);
    // the bridges' other ERRORs
    assertThat(error(LibraryLogs.SOCKJS_LOGGER, "Failure in bridge event handler", new RuntimeException()))
      .isEqualTo(FilterReply.NEUTRAL);
    assertThat(error(LibraryLogs.TCP_LOGGER, "Failure in bridge event handler", new RuntimeException()))
      .isEqualTo(FilterReply.NEUTRAL);
    assertThat(error("io.steward.Other", "Invalid type in incoming message", null)).isEqualTo(FilterReply.NEUTRAL);
    // an undeploy that failed otherwise, or a close that Steward's stop did not make (an application's own)
    assertThat(error(LibraryLogs.DEPLOYMENT_MANAGER, "Undeploy failed", new IllegalStateException("boom")))
      .isEqualTo(FilterReply.NEUTRAL);
    assertThat(error(LibraryLogs.DEPLOYMENT_MANAGER, "Undeploy failed",
      alreadyUndeployed(at("com.example.App", "shutdown")))).isEqualTo(FilterReply.NEUTRAL);
    assertThat(logged.list).isEmpty();
  }

  @Test
  void the_same_lines_at_other_levels_and_logbacks_level_probe_are_left_alone() {
    for (Sample s : SAMPLES) {
      assertThat(decide(s.logger(), Level.WARN, s.format(), s.t())).as(s.kind()).isEqualTo(FilterReply.NEUTRAL);
      assertThat(decide(s.logger(), Level.ERROR, null, null)).as(s.kind()).isEqualTo(FilterReply.NEUTRAL);
    }
    assertThat(logged.list).isEmpty();
  }

  @Test
  void a_hazelcast_response_sent_twice_is_a_warn_too() {
    assertThat(error("com.hazelcast.map.impl.operation.PutIfAbsentOperation", RESPONDED,
      new ResponseAlreadySentException(RESPONDED))).isEqualTo(FilterReply.DENY);
    assertThat(logged.list).singleElement().satisfies(e -> assertThat(e.getLevel()).isEqualTo(Level.WARN));
  }
}
