package io.steward.http;

import io.steward.bus.Addresses;
import io.steward.bus.StewardException;
import io.vertx.core.Handler;
import io.vertx.core.json.JsonObject;
import io.vertx.ext.web.Router;
import io.vertx.ext.web.RoutingContext;

/**
 * {@code POST /fanout} and {@code POST /fanout/gather}. A fan-out may run longer than
 * {@code http.requestTimeoutMs}: the route waits for the bus reply as long as the request's own
 * {@code deadlineMs} (gather: {@code timeoutMs}) plus a margin, so the answer is never cut off by HTTP.
 */
final class FanoutApi implements Api {

  /** Room for the fan-out to build and send its reply after its deadline. */
  static final long MARGIN_MS = 5_000;

  @Override
  public void mount(Router router, Forward forward) {
    router.post("/fanout").handler(waitingFor(forward, Addresses.Fanout.RUN, "deadlineMs"));
    router.post("/fanout/gather").handler(waitingFor(forward, Addresses.Fanout.GATHER, "timeoutMs"));
  }

  @Override
  public String openApi() {
    return "openapi/fanout.json";
  }

  private static Handler<RoutingContext> waitingFor(Forward forward, String address, String field) {
    return ctx -> {
      JsonObject body;
      try {
        body = Forward.jsonBody(ctx);
      } catch (StewardException e) {
        HttpErrors.send(ctx, e);
        return;
      }
      long timeout = forward.timeoutMs();
      if (body.getValue(field) instanceof Number n && n.longValue() > 0) {
        timeout = Math.max(timeout, n.longValue() + MARGIN_MS);
      }
      forward.send(ctx, address, body, 200, timeout);
    };
  }
}
