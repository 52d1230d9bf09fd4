package io.steward.bridge;

import io.steward.bus.Addresses;
import io.steward.edge.BridgeMeters;
import io.steward.spi.Cluster;
import io.steward.bus.Endpoint;
import io.steward.edge.GuardedConnections;
import io.steward.edge.KeyStores;
import io.steward.edge.TcpBridgeEvents;
import io.vertx.core.Future;
import io.vertx.core.VerticleBase;
import io.vertx.core.json.JsonObject;
import io.vertx.core.net.NetServerOptions;
import io.vertx.ext.bridge.BridgeOptions;
import io.vertx.ext.eventbus.bridge.tcp.TcpEventBusBridge;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Runs the TCP event-bus bridge ({@code vertx-tcp-eventbus-bridge}) with Steward's guards: frames are
 * capped and checked before the library parses them ({@link FrameGuard}), every bridge event is checked
 * against the tokens and permissions ({@link TcpBridgeEvents}), connections are counted and capped. Answers
 * its health on {@code steward.node.<id>.health.bridge} with the bridge's URL.
 */
final class BridgeVerticle extends VerticleBase {

  private static final Logger LOG = LoggerFactory.getLogger(BridgeVerticle.class);

  private final BridgeConfig config;
  private TcpEventBusBridge bridge;

  BridgeVerticle(BridgeConfig config) {
    this.config = config;
  }

  @Override
  public Future<?> start() {
    BridgeMeters meters = BridgeMeters.of(vertx, "tcp");
    GuardedConnections connections = new GuardedConnections(vertx);
    BridgeOptions options = config.permissions().applyTo(new BridgeOptions());
    NetServerOptions server = new NetServerOptions().setTcpNoDelay(true);
    if (config.tls()) {
      server.setSsl(true).setKeyCertOptions(KeyStores.options(config.keyStore(), config.keyStorePassword()));
    }
    bridge = TcpEventBusBridge.create(connections.vertx(), options, server,
      new TcpBridgeEvents(config.tokens(), config.permissions(), config.door(), meters));
    connections.guard(config.maxFrameBytes(), config.maxConnections(), meters);
    String nodeId = Cluster.nodeId(vertx);
    return bridge.listen(config.port(), config.host())
      .recover(err -> Future.failedFuture("cannot listen on " + config.host() + ":" + config.port() + ": "
        + err.getMessage() + " (choose another bridge.port / STEWARD_BRIDGE_PORT, or stop what holds it)"))
      .compose(b -> {
        int port = connections.actualPort();
        String url = (config.tls() ? "tls://" : "tcp://") + config.host() + ":" + port;
        if (config.permissions().inboundRules().isEmpty() && config.permissions().outboundRules().isEmpty()) {
          LOG.warn("The TCP bridge on {} lets no address through: bridge.inbound and bridge.outbound are empty", url);
        }
        if (!config.tokens().required() && !isLoopback(config.host())) {
          LOG.warn("The TCP bridge listens on {} without tokens: anyone who reaches it can use the permitted "
            + "addresses; set bridge.tokens (see docs/security.md)", url);
        } else if (!config.tls() && !isLoopback(config.host())) {
          LOG.warn("The TCP bridge on {} receives its tokens in clear text: set bridge.keyStore (see docs/security.md)", url);
        }
        LOG.info("TCP event-bus bridge listening on {} ({} inbound, {} outbound rules, tokens {})", url,
          config.permissions().inboundRules().size(), config.permissions().outboundRules().size(),
          config.tokens().required() ? "required" : "not required");
        return Endpoint.localConsumer(vertx, Addresses.moduleHealth(nodeId, "bridge"),
            msg -> new JsonObject().put("status", "UP").put("url", url).put("connections", meters.connections()))
          .completion();
      });
  }

  static boolean isLoopback(String host) {
    return host.equals("127.0.0.1") || host.equals("localhost") || host.equals("::1") || host.startsWith("127.");
  }

  @Override
  public Future<?> stop() {
    return bridge == null ? Future.succeededFuture() : bridge.close();
  }
}
