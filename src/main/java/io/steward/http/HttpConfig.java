package io.steward.http;

import io.steward.bus.AddressRule;
import io.steward.edge.BridgePermissions;
import io.steward.bus.Door;
import io.steward.edge.KeyStores;
import io.steward.edge.Tokens;
import io.steward.spi.ConfigException;
import io.steward.spi.Setting;
import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;

import java.util.List;

/** The {@code http} section: the REST API and the SockJS event-bus bridge at {@code /eventbus}. */
record HttpConfig(String host, int port, int bodyLimitBytes, int requestTimeoutMs, int instances, Tokens tokens,
                  BridgePermissions bridge, Door bridgeDoor, List<AddressRule> targets, int bridgeMaxConnections,
                  String keyStore, String keyStorePassword) {

  static final List<Setting> SETTINGS = List.of(
    Setting.string("http.host", "127.0.0.1", "The interface the HTTP API listens on (0.0.0.0 for all; see docs/security.md)"),
    Setting.integer("http.port", 8080, "The HTTP API port (0: any free port, shown in /nodes)"),
    Setting.integer("http.bodyLimitBytes", 1_048_576, "Largest request body (and SockJS bridge message) accepted; larger ones get 413"),
    Setting.integer("http.requestTimeoutMs", 30_000, "How long a request forwarded over the event bus may take before 408"),
    Setting.integer("http.instances", 1, "HTTP server verticle instances (event loops serving HTTP)"),
    Setting.list("http.tokens", null, "Bearer tokens HTTP clients and the SockJS bridge must present (none: no token needed; /health stays open)"),
    Setting.json("http.bridgeInbound", new JsonArray(), "Addresses SockJS bridge clients may send/publish to: address strings, {\"address\": …} or {\"addressRegex\": …}; empty: none"),
    Setting.json("http.targets", new JsonArray(), "Addresses that bus tasks, fan-outs, gathers, schedule actions and computes sent over the HTTP API may name, besides the addresses of its routes; address strings, {\"address\": …} or {\"addressRegex\": …}; empty: the routes' addresses only"),
    Setting.json("http.bridgeTargets", new JsonArray(), "Addresses that bus tasks, fan-outs, gathers, schedule actions and computes sent through the SockJS bridge may name, besides those in http.bridgeInbound; same form; empty: http.bridgeInbound only"),
    Setting.json("http.bridgeOutbound", new JsonArray(), "Addresses SockJS bridge clients may register to receive from, same form; empty: none"),
    Setting.integer("http.bridgeMaxConnections", 1000, "Open SockJS bridge connections allowed on this node; more are refused"),
    Setting.string("http.keyStore", null, "Serve HTTPS (and the SockJS bridge over TLS) with this key and certificate, PKCS#12 or JKS (unset: plain HTTP)"),
    Setting.string("http.keyStorePassword", null, "Password of http.keyStore (set it in the environment, not in a file)")
  );

  boolean tls() {
    return keyStore != null;
  }

  static HttpConfig from(JsonObject s) {
    int port = s.getInteger("port");
    int bodyLimitBytes = s.getInteger("bodyLimitBytes");
    int requestTimeoutMs = s.getInteger("requestTimeoutMs");
    int instances = s.getInteger("instances");
    int bridgeMaxConnections = s.getInteger("bridgeMaxConnections");
    if (port < 0 || port > 65535) {
      throw new ConfigException("http.port", "must be a port between 0 and 65535, got " + port);
    }
    if (bodyLimitBytes < 1024) {
      throw new ConfigException("http.bodyLimitBytes", "must be at least 1024, got " + bodyLimitBytes);
    }
    if (requestTimeoutMs < 1) {
      throw new ConfigException("http.requestTimeoutMs", "must be at least 1, got " + requestTimeoutMs);
    }
    if (instances < 1 || instances > 64) {
      throw new ConfigException("http.instances", "must be between 1 and 64, got " + instances);
    }
    if (bridgeMaxConnections < 1) {
      throw new ConfigException("http.bridgeMaxConnections", "must be at least 1, got " + bridgeMaxConnections);
    }
    BridgePermissions bridge = BridgePermissions.parse(s, "bridgeInbound", "bridgeOutbound", "http", ConfigException::new);
    Door bridgeDoor = Door.of("the SockJS bridge", "http.bridgeInbound or http.bridgeTargets", bridge.inboundRules(),
      BridgePermissions.parseList(s, "bridgeTargets", "http", ConfigException::new));
    List<AddressRule> targets = BridgePermissions.parseList(s, "targets", "http", ConfigException::new);
    Tokens tokens = Tokens.of(s.getJsonArray("tokens"), "http.tokens", ConfigException::new);
    String keyStore = s.getString("keyStore");
    if (keyStore != null) {
      KeyStores.check(keyStore, s.getString("keyStorePassword"), "http.keyStore", true, ConfigException::new);
    }
    return new HttpConfig(s.getString("host"), port, bodyLimitBytes, requestTimeoutMs, instances, tokens, bridge,
      bridgeDoor, targets, bridgeMaxConnections, keyStore, s.getString("keyStorePassword"));
  }
}
