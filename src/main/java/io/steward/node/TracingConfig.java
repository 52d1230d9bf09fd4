package io.steward.node;

import io.steward.spi.ConfigException;
import io.vertx.core.json.JsonObject;

import java.net.URI;

/** The {@code tracing.*} settings (docs/tracing.md), checked at start-up. */
public record TracingConfig(boolean enabled, String otlpEndpoint, int samplePercent, String serviceName) {

  static final String DEFAULT_ENDPOINT = "http://localhost:4318/v1/traces";

  static TracingConfig from(JsonObject tracing) {
    boolean enabled = tracing.getBoolean("enabled");
    String endpoint = tracing.getString("otlpEndpoint");
    int percent = tracing.getInteger("samplePercent");
    if (percent < 0 || percent > 100) {
      throw new ConfigException("tracing.samplePercent", "must be between 0 and 100, got " + percent);
    }
    String service = tracing.getString("serviceName");
    if (service == null || service.isBlank()) {
      throw new ConfigException("tracing.serviceName", "must not be empty");
    }
    URI uri;
    try {
      uri = new URI(endpoint == null ? "" : endpoint.trim());
    } catch (Exception e) {
      throw new ConfigException("tracing.otlpEndpoint", "must be an http:// or https:// URL, got '" + endpoint + "'");
    }
    if (uri.getScheme() == null || !(uri.getScheme().equals("http") || uri.getScheme().equals("https"))
      || uri.getHost() == null) {
      throw new ConfigException("tracing.otlpEndpoint", "must be an http:// or https:// URL (an OTLP/HTTP traces "
        + "endpoint such as " + DEFAULT_ENDPOINT + "), got '" + endpoint + "'");
    }
    return new TracingConfig(enabled, uri.toString(), percent, service.trim());
  }
}
