package io.steward.http;

import io.steward.bus.Addresses;
import io.steward.bus.StewardException;
import io.vertx.core.Handler;
import io.vertx.core.eventbus.DeliveryOptions;
import io.vertx.core.json.JsonObject;
import io.vertx.ext.web.Router;
import io.vertx.ext.web.RoutingContext;

import java.util.List;

/**
 * Routes of the cache module. Entries are {@code /caches/{name}/{key}} (GET, PUT, DELETE); the cache itself is
 * {@code /caches/{name}} (statistics) with POST actions beside its keys ({@code clear}, {@code getAll},
 * {@code putAll}); per-key actions are POSTs under the key. A key with a '/' must be percent-encoded.
 */
final class CacheApi implements Api {

  @Override
  public void mount(Router router, Forward forward) {
    // Every request runs on this node's cache module when it runs one, so that its answer holds on the side of a
    // split the client talks to, as the schedule's writes do (Forward#preferHere).
    for (String address : List.of(Addresses.Cache.LIST, Addresses.Cache.CREATE, Addresses.Cache.STATS,
      Addresses.Cache.CLEAR, Addresses.Cache.GET_ALL, Addresses.Cache.PUT_ALL, Addresses.Cache.PUT, Addresses.Cache.DELETE,
      Addresses.Cache.PUT_IF_ABSENT, Addresses.Cache.REPLACE, Addresses.Cache.TOUCH, Addresses.Cache.UPDATE,
      Addresses.Cache.GET_OR_COMPUTE)) {
      forward.preferHere(address);
    }
    router.get("/caches").handler(forward.params(Addresses.Cache.LIST));
    router.post("/caches").handler(forward.body(Addresses.Cache.CREATE, 201));
    router.get("/caches/:name").handler(forward.to(Addresses.Cache.STATS, 200, ctx -> cacheBody(ctx, new JsonObject())));
    router.post("/caches/:name/clear").handler(forward.to(Addresses.Cache.CLEAR, 200, ctx -> cacheBody(ctx, new JsonObject())));
    router.post("/caches/:name/getAll").handler(forward.to(Addresses.Cache.GET_ALL, 200, ctx -> cacheBody(ctx, Forward.jsonBody(ctx))));
    router.post("/caches/:name/putAll").handler(forward.to(Addresses.Cache.PUT_ALL, 200, ctx -> cacheBody(ctx, Forward.jsonBody(ctx))));
    router.get("/caches/:name/:key").handler(ctx -> get(ctx, forward.timeoutMs()));
    forward.reaches(Addresses.Cache.GET);
    router.put("/caches/:name/:key").handler(forward.to(Addresses.Cache.PUT, 204, ctx -> keyBody(ctx, Forward.jsonBody(ctx))));
    router.delete("/caches/:name/:key").handler(forward.to(Addresses.Cache.DELETE, 200, ctx -> keyBody(ctx, new JsonObject())));
    router.post("/caches/:name/:key/putIfAbsent").handler(forward.to(Addresses.Cache.PUT_IF_ABSENT, 200, ctx -> keyBody(ctx, Forward.jsonBody(ctx))));
    router.post("/caches/:name/:key/replace").handler(forward.to(Addresses.Cache.REPLACE, 200, ctx -> keyBody(ctx, Forward.jsonBody(ctx))));
    router.post("/caches/:name/:key/touch").handler(forward.to(Addresses.Cache.TOUCH, 200, ctx -> keyBody(ctx, optionalBody(ctx))));
    router.post("/caches/:name/:key/update").handler(slow(forward, Addresses.Cache.UPDATE));
    router.post("/caches/:name/:key/compute").handler(slow(forward, Addresses.Cache.GET_OR_COMPUTE));
  }

  @Override
  public String openApi() {
    return "openapi/cache.json";
  }

  /** GET of one entry: 200 {key, value}, or 404 when the key has no entry. */
  private static void get(RoutingContext ctx, long timeoutMs) {
    JsonObject body;
    try {
      body = keyBody(ctx, new JsonObject());
    } catch (StewardException e) {
      HttpErrors.send(ctx, e);
      return;
    }
    String key = body.getString("key");
    String cache = body.getString("cache");
    io.steward.spi.Cluster.requestHereFirst(ctx.vertx(), Addresses.Cache.GET, body,
      new DeliveryOptions().setSendTimeout(timeoutMs)).onComplete(ar -> {
      if (ar.failed()) {
        HttpErrors.send(ctx, ar.cause());
        return;
      }
      JsonObject reply = (JsonObject) ar.result().body();
      if (!reply.getBoolean("found", false)) {
        HttpErrors.send(ctx, 404, "no entry for key '" + key + "' in cache '" + cache + "'", null);
        return;
      }
      ctx.response().putHeader("content-type", "application/json")
        .end(new JsonObject().put("key", key).put("value", reply.getValue("value")).toBuffer());
    });
  }

  /** update and compute may take their own {@code timeoutMs}: wait for it, plus the margin, before a 408. */
  private static Handler<RoutingContext> slow(Forward forward, String address) {
    return forward.waitingFor(address, "timeoutMs", 0, ctx -> keyBody(ctx, Forward.jsonBody(ctx)));
  }

  private static JsonObject optionalBody(RoutingContext ctx) {
    boolean empty = ctx.body() == null || ctx.body().buffer() == null || ctx.body().buffer().length() == 0;
    return empty ? new JsonObject() : Forward.jsonBody(ctx);
  }

  private static JsonObject cacheBody(RoutingContext ctx, JsonObject body) {
    fromPath(body, "cache", "/caches/{name}", ctx.pathParam("name"));
    return body;
  }

  private static JsonObject keyBody(RoutingContext ctx, JsonObject body) {
    cacheBody(ctx, body);
    fromPath(body, "key", "/caches/{name}/{key}", ctx.pathParam("key"));
    return body;
  }

  private static void fromPath(JsonObject body, String field, String path, String value) {
    if (body.containsKey(field)) {
      throw StewardException.badRequest(field, "comes from the path " + path + "; remove it from the body");
    }
    body.put(field, value);
  }
}
