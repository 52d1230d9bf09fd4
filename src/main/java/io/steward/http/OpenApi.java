package io.steward.http;

import io.steward.spi.Version;
import io.vertx.core.buffer.Buffer;
import io.vertx.core.json.JsonObject;

import java.io.IOException;
import java.io.InputStream;
import java.io.UncheckedIOException;
import java.util.List;

/** Builds {@code /openapi.json}: the base document plus each route group's fragment. */
final class OpenApi {

  static final String BASE = "openapi/steward.json";

  private OpenApi() {
  }

  static JsonObject build(List<Api> apis) {
    JsonObject doc = read(BASE);
    doc.getJsonObject("info").put("version", Version.current());
    JsonObject paths = doc.getJsonObject("paths", new JsonObject());
    JsonObject components = doc.getJsonObject("components", new JsonObject());
    JsonObject schemas = components.getJsonObject("schemas", new JsonObject());
    for (Api api : apis) {
      JsonObject fragment = read(api.openApi());
      fragment.getJsonObject("paths", new JsonObject()).forEach(e -> {
        if (paths.containsKey(e.getKey())) {
          throw new IllegalStateException("OpenAPI path " + e.getKey() + " is declared twice (" + api.openApi() + ")");
        }
        paths.put(e.getKey(), e.getValue());
      });
      fragment.getJsonObject("components", new JsonObject()).getJsonObject("schemas", new JsonObject())
        .forEach(e -> schemas.put(e.getKey(), e.getValue()));
    }
    doc.put("paths", paths);
    components.put("schemas", schemas);
    doc.put("components", components);
    return doc;
  }

  private static JsonObject read(String resource) {
    try (InputStream in = OpenApi.class.getClassLoader().getResourceAsStream(resource)) {
      if (in == null) {
        throw new IllegalStateException("missing OpenAPI resource " + resource);
      }
      return new JsonObject(Buffer.buffer(in.readAllBytes()));
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
  }
}
