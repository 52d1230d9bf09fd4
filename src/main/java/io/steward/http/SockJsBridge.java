package io.steward.http;

import io.steward.edge.BridgeMeters;
import io.steward.edge.SockJsBridgeEvents;
import io.steward.observe.Tracing;
import io.vertx.core.Vertx;
import io.vertx.ext.web.Router;
import io.vertx.ext.web.handler.sockjs.SockJSBridgeOptions;
import io.vertx.ext.web.handler.sockjs.SockJSHandler;
import io.vertx.ext.web.handler.sockjs.SockJSHandlerOptions;

/**
 * The SockJS event-bus bridge at {@code /eventbus}: browsers and Node.js (the official
 * {@code @vertx/eventbus-bridge-client.js}) reach the event-bus addresses that {@code http.bridgeInbound}
 * and {@code http.bridgeOutbound} permit, nothing else ({@link SockJsBridgeEvents}). The library gets the
 * same lists, so its own check agrees.
 */
final class SockJsBridge {

  private SockJsBridge() {
  }

  static Router router(Vertx vertx, HttpConfig config) {
    SockJSBridgeOptions options = config.bridge().applyTo(new SockJSBridgeOptions());
    SockJsBridgeEvents events = new SockJsBridgeEvents(config.tokens(), config.bridge(), config.bridgeDoor(), config.bridgeMaxConnections(),
      BridgeMeters.of(vertx, "sockjs"), Tracing.openTelemetry(vertx));
    return SockJSHandler.create(vertx, new SockJSHandlerOptions()).bridge(options, events);
  }
}
