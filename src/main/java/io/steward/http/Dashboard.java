package io.steward.http;

import io.steward.edge.Tokens;
import io.vertx.core.Handler;
import io.vertx.core.json.JsonObject;
import io.vertx.ext.web.Router;
import io.vertx.ext.web.RoutingContext;
import io.vertx.ext.web.handler.StaticHandler;

/**
 * The dashboard: one static page at {@code /} and its files under {@code /dashboard/} (plain HTML, CSS and
 * JavaScript from {@code webroot/} in the jar, with the SockJS and Vert.x bridge clients vendored). Mounted
 * before the token check: the files hold no data. The page asks for a token when
 * {@code /dashboard/settings.json} says one is needed, sends it with every API call and on the SockJS bridge,
 * and only listens there (the event addresses it registers for must be in {@code http.bridgeOutbound}).
 */
final class Dashboard {

  static final String ASSETS = "/dashboard";
  /**
   * Same-origin only: no inline script or style, no frames (SockJS's iframe transports are not used), no
   * embedding in another site's frame. {@code 'self'} in connect-src covers the bridge's WebSocket.
   */
  static final String CONTENT_SECURITY_POLICY = "default-src 'self'; script-src 'self'; style-src 'self'; "
    + "img-src 'self' data:; connect-src 'self'; frame-src 'none'; frame-ancestors 'none'; base-uri 'none'; "
    + "form-action 'self'; object-src 'none'";

  private Dashboard() {
  }

  static void mount(Router router, Tokens tokens) {
    router.get("/").handler(Dashboard::headers).handler(StaticHandler.create("webroot").setIndexPage("index.html"));
    JsonObject settings = new JsonObject().put("tokenRequired", tokens.required()).put("bridge", TokenAuth.BRIDGE_PATH);
    router.get(ASSETS + "/settings.json").handler(Dashboard::headers).handler(ctx -> ctx.response()
      .putHeader("content-type", "application/json").end(settings.encode()));
    Handler<RoutingContext> assets = StaticHandler.create("webroot/dashboard").setDirectoryListing(false);
    router.route(ASSETS + "/*").handler(Dashboard::headers).handler(assets);
  }

  /** Revalidated on every load (a new version is picked up at once; unchanged files answer 304). */
  private static void headers(RoutingContext ctx) {
    ctx.response()
      .putHeader("Cache-Control", "no-cache")
      .putHeader("Content-Security-Policy", CONTENT_SECURITY_POLICY)
      .putHeader("X-Content-Type-Options", "nosniff")
      .putHeader("Referrer-Policy", "no-referrer")
      .putHeader("X-Frame-Options", "DENY");
    ctx.next();
  }
}
