package io.steward.http;

import io.steward.bus.Failure;
import io.steward.bus.StewardException;
import io.vertx.core.json.JsonObject;
import io.vertx.ext.web.RoutingContext;
import io.vertx.ext.web.handler.HttpException;

import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * The one place where failures become HTTP responses. A Steward failure code is the HTTP status
 * (400, 403, 404, 408, 409, 429, 500, 503, 504); the body is always
 * {@code {"code": 400, "error": "…", "field": "…", "retryable": false, "mayHaveApplied": false}}.
 */
final class HttpErrors {

  /** "field.path: reason" — the convention of 400 messages (see {@link StewardException}). */
  private static final Pattern FIELD = Pattern.compile("^([A-Za-z_$][\\w.\\[\\]$-]{0,120}): ");

  private HttpErrors() {
  }

  /** The failure handler of the router. */
  static void handle(RoutingContext ctx) {
    Throwable failure = ctx.failure();
    if (failure == null || failure instanceof HttpException) {
      int status = failure instanceof HttpException he ? he.getStatusCode() : ctx.statusCode();
      send(ctx, status < 400 ? 500 : status, webMessage(status, failure), null);
      return;
    }
    send(ctx, failure);
  }

  static void send(RoutingContext ctx, Throwable error) {
    Failure f = Failure.of(error);
    String message = error.getMessage() == null ? error.getClass().getSimpleName() : error.getMessage();
    String field = error instanceof StewardException se ? se.field() : null;
    if (field == null && (f == Failure.BAD_REQUEST || f == Failure.FORBIDDEN)) {
      Matcher m = FIELD.matcher(message);
      if (m.find()) {
        field = m.group(1);
      }
    }
    if (f == Failure.UNAVAILABLE && !(error instanceof StewardException) && message.contains("No handlers")) {
      message = "no node in the cluster runs the module behind this route (" + message + ")";
    }
    send(ctx, f.code(), message, field);
  }

  static void send(RoutingContext ctx, int status, String message, String field) {
    if (ctx.response().headWritten()) {
      ctx.response().reset();
      return;
    }
    Failure f = Failure.ofCode(status);
    boolean known = f.code() == status;
    JsonObject body = new JsonObject().put("code", status).put("error", message);
    if (field != null) {
      body.put("field", field);
    }
    body.put("retryable", known && f.retryable());
    body.put("mayHaveApplied", known && f.mayHaveApplied());
    ctx.response().setStatusCode(status).putHeader("content-type", "application/json").end(body.encode());
  }

  private static String webMessage(int status, Throwable failure) {
    return switch (status) {
      case 400 -> "bad request" + (failure != null && failure.getMessage() != null ? ": " + failure.getMessage() : "");
      case 401 -> "missing or invalid token";
      case 404 -> "no such route";
      case 405 -> "method not allowed on this route";
      case 413 -> "request body too large (limit: http.bodyLimitBytes)";
      case 415 -> "unsupported content type: send application/json";
      default -> failure != null && failure.getMessage() != null ? failure.getMessage() : "HTTP " + status;
    };
  }
}
