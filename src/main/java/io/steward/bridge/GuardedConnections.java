package io.steward.bridge;

import io.netty.channel.ChannelFutureListener;
import io.netty.channel.ChannelHandlerContext;
import io.steward.bus.BridgeMeters;
import io.vertx.core.Handler;
import io.vertx.core.internal.VertxInternal;
import io.vertx.core.internal.VertxWrapper;
import io.vertx.core.internal.net.NetServerInternal;
import io.vertx.core.internal.net.NetSocketInternal;
import io.vertx.core.net.NetServer;
import io.vertx.core.net.NetServerOptions;
import io.vertx.core.net.NetSocket;

/**
 * Puts a {@link FrameGuard} in front of the TCP bridge library on every connection, and caps the number of
 * connections.
 *
 * <p>The library creates its own {@link NetServer} and keeps its connection handler private, with no
 * bridge event before the first frame is parsed. So the bridge is built with this {@link VertxWrapper},
 * which hands it a server we keep; {@link #guard} then wraps the handler the library installed: each new
 * socket first gets the guard in its Netty pipeline (before Vert.x's own handler, after TLS if any), then
 * is given to the library. No bytes have been read at that point.
 */
final class GuardedConnections extends VertxWrapper {

  private NetServerInternal server;

  GuardedConnections(VertxInternal vertx) {
    super(vertx);
  }

  @Override
  public NetServerInternal createNetServer(NetServerOptions options) {
    if (server != null) {
      throw new IllegalStateException("the TCP bridge was expected to create one server");
    }
    server = delegate.createNetServer(options);
    return server;
  }

  /** The port the bridge listens on (after it listens). */
  int actualPort() {
    return server.actualPort();
  }

  /** Wraps the library's connection handler; call after the bridge is created, before it listens. */
  void guard(int maxFrameBytes, int maxConnections, BridgeMeters meters) {
    if (server == null || server.connectHandler() == null) {
      throw new IllegalStateException("the TCP bridge library did not create its server as expected;"
        + " this Steward version does not match its vertx-tcp-eventbus-bridge");
    }
    Handler<NetSocket> library = server.connectHandler();
    server.connectHandler(socket -> {
      if (!meters.tryOpen(maxConnections)) {
        meters.refused(BridgeMeters.CONNECTION_LIMIT, "a connection from " + socket.remoteAddress() + ": "
          + maxConnections + " are open already (bridge.maxConnections)");
        ChannelHandlerContext chctx = ((NetSocketInternal) socket).channelHandlerContext();
        chctx.writeAndFlush(FrameGuard.errFrame("too many connections to this bridge (bridge.maxConnections "
          + maxConnections + "); try again later or another node")).addListener(ChannelFutureListener.CLOSE);
        return;
      }
      ChannelHandlerContext chctx = ((NetSocketInternal) socket).channelHandlerContext();
      chctx.channel().closeFuture().addListener(f -> meters.closed());
      chctx.pipeline().addBefore(chctx.name(), "steward-frame-guard", new FrameGuard(maxFrameBytes, meters::refused));
      library.handle(socket);
    });
  }
}
