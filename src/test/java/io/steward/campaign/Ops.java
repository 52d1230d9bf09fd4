package io.steward.campaign;

import io.steward.testing.NodeProcess;
import io.vertx.core.json.DecodeException;
import io.vertx.core.json.JsonObject;

import java.net.URI;
import java.net.http.HttpRequest;
import java.util.function.Function;

/**
 * An operation against one node's HTTP API, recorded as {@code <kind>.invoke} and exactly one completion
 * (docs/campaign.md): {@code ok} for a 2xx, {@code fail} for an error that says {@code mayHaveApplied: false},
 * {@code info} for everything else (no answer, a timeout, an outcome the answer calls unknown).
 */
final class Ops {

  private final Recorder history;

  Ops(Recorder history) {
    this.history = history;
  }

  /**
   * Invokes {@code kind} (e.g. {@code cache.put}) on {@code node}, recording {@code fields}; {@code okFields} turns
   * the 2xx answer's body (an empty object when none) into the fields of the {@code ok} event.
   */
  JsonObject call(String kind, NodeProcess node, JsonObject fields, String method, String path, JsonObject body,
                  Function<JsonObject, JsonObject> okFields) {
    long op = history.nextOp();
    history.record(kind + ".invoke", fields.copy().put("op", op).put("node", node.name()));
    HttpRequest.Builder request = HttpRequest.newBuilder(URI.create(node.url() + path))
      .method(method, body == null ? HttpRequest.BodyPublishers.noBody() : HttpRequest.BodyPublishers.ofString(body.encode()));
    if (body != null) {
      request.header("content-type", "application/json");
    }
    NodeProcess.Response r = node.send(request);
    JsonObject answer = parse(r.body());
    if (r.status() / 100 == 2) {
      JsonObject ok = okFields.apply(answer == null ? new JsonObject() : answer).put("op", op);
      history.record(kind + ".ok", ok);
      return answer == null ? new JsonObject() : answer;
    }
    int code = r.status() < 0 ? 0 : answer != null && answer.getValue("code") instanceof Number n ? n.intValue() : r.status();
    String message = answer != null ? answer.getString("error", r.body()) : r.body();
    boolean definite = answer != null && Boolean.FALSE.equals(answer.getValue("mayHaveApplied"));
    history.record(kind + (definite ? ".fail" : ".info"), new JsonObject().put("op", op).put("code", code)
      .put("message", message == null ? "" : message.length() > 300 ? message.substring(0, 300) : message));
    return null;
  }

  private static JsonObject parse(String body) {
    if (body == null || body.isBlank() || !body.strip().startsWith("{")) {
      return null;
    }
    try {
      return new JsonObject(body);
    } catch (DecodeException e) {
      return null;
    }
  }
}
