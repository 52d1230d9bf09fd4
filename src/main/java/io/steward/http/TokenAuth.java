package io.steward.http;

import io.micrometer.core.instrument.Counter;
import io.steward.edge.BridgeMeters;
import io.steward.observe.Metrics;
import io.steward.observe.RateLimitedLog;
import io.steward.edge.Tokens;
import io.vertx.core.Handler;
import io.vertx.core.Vertx;
import io.vertx.core.http.HttpHeaders;
import io.vertx.ext.web.RoutingContext;
import org.slf4j.LoggerFactory;

/**
 * Lets a request through only with one of {@code http.tokens} in {@code Authorization: Bearer <token>}
 * (when tokens are configured; mounted after {@code GET /health}, which stays open for load balancers).
 * Requests to the SockJS bridge ({@code /eventbus/…}) may carry it as {@code ?token=} instead, because a
 * browser cannot put headers on a WebSocket or SockJS connection.
 *
 * <p>A refusal is a 401 with {@code WWW-Authenticate: Bearer}, counted in
 * {@code steward_http_unauthorized_total} (or, for the bridge, {@code steward_bridge_refusals_total}) and
 * logged at WARN at most every 10 s.
 */
final class TokenAuth implements Handler<RoutingContext> {

  static final String BRIDGE_PATH = "/eventbus";
  private static final RateLimitedLog LOG = new RateLimitedLog(LoggerFactory.getLogger(TokenAuth.class), 10_000);

  private final Tokens tokens;
  private final BridgeMeters bridge;
  private final Counter unauthorized;

  TokenAuth(Vertx vertx, Tokens tokens) {
    this.tokens = tokens;
    this.bridge = BridgeMeters.of(vertx, "sockjs");
    this.unauthorized = Counter.builder("steward_http_unauthorized")
      .description("HTTP requests refused for a missing or invalid token")
      .register(Metrics.registry(vertx));
  }

  @Override
  public void handle(RoutingContext ctx) {
    if (!tokens.required()) {
      ctx.next();
      return;
    }
    String path = ctx.normalizedPath();
    boolean toBridge = path.equals(BRIDGE_PATH) || path.startsWith(BRIDGE_PATH + "/");
    String presented = Tokens.bearer(ctx.request().getHeader(HttpHeaders.AUTHORIZATION));
    if (presented == null && toBridge) {
      presented = ctx.request().getParam("token");
    }
    if (tokens.accepts(presented)) {
      ctx.next();
      return;
    }
    String why = presented == null ? "no token" : "an invalid token";
    String what = ctx.request().method() + " " + path + " from " + ctx.request().remoteAddress() + " with " + why;
    if (toBridge) {
      bridge.refused(BridgeMeters.TOKEN, "a connection: " + what + " (pass one of http.tokens as ?token= or a Bearer header)");
    } else {
      unauthorized.increment();
      LOG.warn("unauthorized", "Refused an HTTP request: " + what + " (clients send Authorization: Bearer <one of http.tokens>)");
    }
    ctx.response().putHeader("WWW-Authenticate", "Bearer realm=\"steward\"");
    HttpErrors.send(ctx, 401, why + ": send the header Authorization: Bearer <token>"
      + (toBridge ? " or the query parameter ?token=<token>" : "") + " with one of the tokens in http.tokens", null);
  }
}
