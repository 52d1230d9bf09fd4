package io.steward.bridge;

import io.steward.edge.BridgePermissions;
import io.steward.bus.Door;
import io.steward.edge.KeyStores;
import io.steward.edge.Tokens;
import io.steward.spi.ConfigException;
import io.steward.spi.Setting;
import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;

import java.util.List;

/** The {@code bridge} section: the TCP event-bus bridge. */
record BridgeConfig(String host, int port, Tokens tokens, BridgePermissions permissions, Door door, int maxFrameBytes,
                    int maxConnections, String keyStore, String keyStorePassword) {

  static final List<Setting> SETTINGS = List.of(
    Setting.string("bridge.host", "127.0.0.1", "The interface the TCP event-bus bridge listens on (see docs/security.md)"),
    Setting.integer("bridge.port", 7000, "The TCP event-bus bridge port (0: any free port, shown in /nodes)"),
    Setting.list("bridge.tokens", null, "Tokens a TCP bridge client must put in each frame's headers.token (none: no token needed)"),
    Setting.json("bridge.inbound", new JsonArray(), "Addresses TCP bridge clients may send/publish to: address strings, {\"address\": …} or {\"addressRegex\": …}; empty: none"),
    Setting.json("bridge.targets", new JsonArray(), "Addresses that bus tasks, fan-outs, gathers, schedule actions and computes sent through the TCP bridge may name, besides those in bridge.inbound; same form; empty: bridge.inbound only"),
    Setting.json("bridge.outbound", new JsonArray(), "Addresses TCP bridge clients may register to receive from, same form; empty: none"),
    Setting.integer("bridge.maxFrameBytes", 1_048_576, "Largest TCP bridge frame; a larger one is answered with an err frame and the connection closed"),
    Setting.integer("bridge.maxConnections", 1000, "Open TCP bridge connections allowed on this node; more are refused"),
    Setting.string("bridge.keyStore", null, "Serve the TCP bridge over TLS with this key and certificate, PKCS#12 or JKS (unset: plain TCP)"),
    Setting.string("bridge.keyStorePassword", null, "Password of bridge.keyStore (set it in the environment, not in a file)")
  );

  static BridgeConfig from(JsonObject s) {
    int port = s.getInteger("port");
    if (port < 0 || port > 65535) {
      throw new ConfigException("bridge.port", "must be a port between 0 and 65535, got " + port);
    }
    int maxFrameBytes = s.getInteger("maxFrameBytes");
    if (maxFrameBytes < 1024 || maxFrameBytes > 64 * 1_048_576) {
      throw new ConfigException("bridge.maxFrameBytes", "must be between 1024 and 67108864, got " + maxFrameBytes);
    }
    int maxConnections = s.getInteger("maxConnections");
    if (maxConnections < 1) {
      throw new ConfigException("bridge.maxConnections", "must be at least 1, got " + maxConnections);
    }
    BridgePermissions permissions = BridgePermissions.parse(s, "inbound", "outbound", "bridge", ConfigException::new);
    Door door = Door.of("the TCP bridge", "bridge.inbound or bridge.targets", permissions.inboundRules(),
      BridgePermissions.parseList(s, "targets", "bridge", ConfigException::new));
    Tokens tokens = Tokens.of(s.getJsonArray("tokens"), "bridge.tokens", ConfigException::new);
    String keyStore = s.getString("keyStore");
    if (keyStore != null) {
      KeyStores.check(keyStore, s.getString("keyStorePassword"), "bridge.keyStore", true, ConfigException::new);
    }
    return new BridgeConfig(s.getString("host"), port, tokens, permissions, door, maxFrameBytes, maxConnections, keyStore,
      s.getString("keyStorePassword"));
  }

  boolean tls() {
    return keyStore != null;
  }
}
