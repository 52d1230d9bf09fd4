package io.steward.edge;

import io.netty.channel.ChannelFutureListener;
import io.netty.channel.ChannelHandlerContext;
import io.steward.spi.VertxInternals;
import io.vertx.core.Handler;
import io.vertx.core.Vertx;
import io.vertx.core.net.NetServer;
import io.vertx.core.net.NetSocket;

/**
 * Puts a {@link FrameGuard} in front of the TCP bridge library on every connection, and caps the number of
 * connections.
 *
 * <p>The library creates its own {@link NetServer} and keeps its connection handler private, with no
 * bridge event before the first frame is parsed. So the bridge is built with {@link #vertx()}, which hands us
 * the server it creates ({@link VertxInternals#tappingNetServers}); {@link #guard} then wraps the handler the
 * library installed: each new socket first gets the guard in its Netty pipeline (before Vert.x's own handler,
 * after TLS if any), then is given to the library. No bytes have been read at that point.
 */
public final class GuardedConnections {

  private final Vertx vertx;
  private NetServer server;

  public GuardedConnections(Vertx vertx) {
    this.vertx = VertxInternals.tappingNetServers(vertx, this::created);
  }

  /** The Vert.x to build the bridge with. */
  public Vertx vertx() {
    return vertx;
  }

  private void created(NetServer created) {
    if (server != null) {
      throw new IllegalStateException("the TCP bridge was expected to create one server");
    }
    server = created;
  }

  /** The port the bridge listens on (after it listens). */
  public int actualPort() {
    return server.actualPort();
  }

  /** Wraps the library's connection handler; call after the bridge is created, before it listens. */
  public void guard(int maxFrameBytes, int maxConnections, BridgeMeters meters) {
    if (server == null || server.connectHandler() == null) {
      throw new IllegalStateException("the TCP bridge library did not create its server as expected;"
        + " this Steward version does not match its vertx-tcp-eventbus-bridge");
    }
    Handler<NetSocket> library = server.connectHandler();
    server.connectHandler(socket -> {
      if (!meters.tryOpen(maxConnections)) {
        meters.refused(BridgeMeters.CONNECTION_LIMIT, "a connection from " + socket.remoteAddress() + ": "
          + maxConnections + " are open already (bridge.maxConnections)");
        ChannelHandlerContext chctx = VertxInternals.channel(socket);
        chctx.writeAndFlush(FrameGuard.errFrame("too many connections to this bridge (bridge.maxConnections "
          + maxConnections + "); try again later or another node")).addListener(ChannelFutureListener.CLOSE);
        return;
      }
      ChannelHandlerContext chctx = VertxInternals.channel(socket);
      chctx.channel().closeFuture().addListener(f -> meters.closed());
      chctx.pipeline().addBefore(chctx.name(), "steward-frame-guard", new FrameGuard(maxFrameBytes, meters::refused));
      library.handle(socket);
    });
  }
}
