package io.steward.http;

import io.steward.node.ConfigException;
import io.steward.node.Setting;
import io.vertx.core.json.JsonObject;

import java.util.List;

/** The {@code http} section. */
record HttpConfig(String host, int port, int bodyLimitBytes, int requestTimeoutMs, int instances) {

  static final List<Setting> SETTINGS = List.of(
    Setting.string("http.host", "127.0.0.1", "The interface the HTTP API listens on (0.0.0.0 for all; see README, Security)"),
    Setting.integer("http.port", 8080, "The HTTP API port (0: any free port, shown in /nodes)"),
    Setting.integer("http.bodyLimitBytes", 1_048_576, "Largest request body accepted; larger ones get 413"),
    Setting.integer("http.requestTimeoutMs", 30_000, "How long a request forwarded over the event bus may take before 408"),
    Setting.integer("http.instances", 1, "HTTP server verticle instances (event loops serving HTTP)")
  );

  static HttpConfig from(JsonObject s) {
    HttpConfig c = new HttpConfig(s.getString("host"), s.getInteger("port"), s.getInteger("bodyLimitBytes"),
      s.getInteger("requestTimeoutMs"), s.getInteger("instances"));
    if (c.port < 0 || c.port > 65535) {
      throw new ConfigException("http.port", "must be a port between 0 and 65535, got " + c.port);
    }
    if (c.bodyLimitBytes < 1024) {
      throw new ConfigException("http.bodyLimitBytes", "must be at least 1024, got " + c.bodyLimitBytes);
    }
    if (c.requestTimeoutMs < 1) {
      throw new ConfigException("http.requestTimeoutMs", "must be at least 1, got " + c.requestTimeoutMs);
    }
    if (c.instances < 1 || c.instances > 64) {
      throw new ConfigException("http.instances", "must be between 1 and 64, got " + c.instances);
    }
    return c;
  }
}
