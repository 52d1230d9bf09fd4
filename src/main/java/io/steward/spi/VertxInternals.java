package io.steward.spi;

import io.netty.channel.ChannelHandlerContext;
import io.vertx.core.Context;
import io.vertx.core.Promise;
import io.vertx.core.Vertx;
import io.vertx.core.internal.ContextInternal;
import io.vertx.core.internal.VertxInternal;
import io.vertx.core.internal.VertxWrapper;
import io.vertx.core.internal.net.NetServerInternal;
import io.vertx.core.internal.net.NetSocketInternal;
import io.vertx.core.net.NetServer;
import io.vertx.core.net.NetServerOptions;
import io.vertx.core.net.NetSocket;
import io.vertx.core.spi.cluster.ClusterManager;

import java.util.concurrent.Executor;
import java.util.function.Consumer;

/**
 * Steward's one use of Vert.x internals ({@code io.vertx.core.internal}, which Vert.x may change in any
 * release, minor ones included). Nothing else imports them (ArchitectureTest). Each method says which public
 * API is missing and what breaks on an upgrade; after a Vert.x upgrade, compile, then run the tests named here.
 */
public final class VertxInternals {

  private VertxInternals() {
  }

  /**
   * The cluster manager of a clustered Vert.x. Missing: Vert.x 5 takes a cluster manager in
   * {@code Vertx.builder().withClusterManager(..)} but has no public getter. On upgrade: if
   * {@code VertxInternal.clusterManager()} moves, every module fails to find its Hazelcast instance at start
   * (Cluster.hazelcast; any in-JVM cluster test shows it).
   */
  public static ClusterManager clusterManager(Vertx vertx) {
    return ((VertxInternal) vertx).clusterManager();
  }

  /**
   * Whether the calling thread is the event loop behind {@code context} (any context on that loop, not only this
   * one). Missing: {@code Vertx.currentContext() == context} is false on another context of the same loop, and
   * {@code Context.isEventLoopContext()} names the kind of context, not the thread. On upgrade: if
   * {@code nettyEventLoop()} goes, the schedule shards' and the tasks dispatcher's confinement checks stop
   * compiling (ShardVerticle.onOwnLoop, tasks Dispatcher).
   */
  public static boolean onEventLoopOf(Context context) {
    return ((ContextInternal) context).nettyEventLoop().inEventLoop();
  }

  /**
   * Whether the caller runs on {@code context} itself. Missing: the public {@code Vertx.currentContext()} does not
   * see through duplicated contexts. On upgrade: tasks run inline instead of being re-posted, or the reverse
   * (tasks tests).
   */
  public static boolean isRunningOnContext(Context context) {
    return ((ContextInternal) context).isRunningOnContext();
  }

  /**
   * A promise whose callbacks run on {@code context}, wherever it is completed. Missing: the public
   * {@code Promise.promise()} runs callbacks on the completing thread. On upgrade: a task's waiters would be
   * called on a worker thread (tasks tests; NoBlockedThreads).
   */
  public static <T> Promise<T> promise(Context context) {
    return ((ContextInternal) context).promise();
  }

  /**
   * Runs on the event loop of {@code context}, but on a context of its own that is no verticle's: Vert.x then
   * registers no close hook per request reply handler (two synchronized map operations per request), which the
   * fan-out does not need (it waits for its runs when it stops, and each request times out by itself). Missing:
   * a public way to build a context on a given event loop. On upgrade: if {@code contextBuilder()} changes, the
   * fan-out stops compiling; run FanoutBench to see the per-item cost come back.
   */
  public static Executor unhookedContextOn(Vertx vertx, Context context) {
    ContextInternal own = ((VertxInternal) vertx).contextBuilder()
      .withEventLoop(((ContextInternal) context).nettyEventLoop()).build();
    return own::dispatch;
  }

  /**
   * A Vert.x that is {@code vertx}, except that it gives every {@link NetServer} it creates to
   * {@code created} first: the TCP bridge library creates its own server and keeps its connection handler
   * private, with no bridge event before the first frame is parsed, so the bridge is built with this Vert.x to
   * put a guard in front of the library. Missing: a hook in vertx-tcp-eventbus-bridge for a new connection. On
   * upgrade: if {@code VertxWrapper} or {@code createNetServer} changes, the bridge stops compiling, or (if the
   * library creates its server another way) refuses to start with a message naming the mismatch
   * (TcpBridgeTest, FrameGuardTest).
   */
  public static Vertx tappingNetServers(Vertx vertx, Consumer<NetServer> created) {
    return new VertxWrapper((VertxInternal) vertx) {
      @Override
      public NetServerInternal createNetServer(NetServerOptions options) {
        NetServerInternal server = delegate.createNetServer(options);
        created.accept(server);
        return server;
      }
    };
  }

  /**
   * The Netty channel of a TCP socket, to put a handler in its pipeline before Vert.x reads a byte. Missing: a
   * public accessor on {@code NetSocket}. On upgrade: the TCP bridge's frame guard and connection cap stop
   * compiling (TcpBridgeTest, FrameGuardTest).
   */
  public static ChannelHandlerContext channel(NetSocket socket) {
    return ((NetSocketInternal) socket).channelHandlerContext();
  }
}
