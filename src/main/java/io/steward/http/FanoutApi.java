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
 * {@code deadlineMs} plus a margin (gather: its {@code timeoutMs}, plus up to 10 s to list the nodes, plus the
 * margin), so the answer is never cut off by HTTP.
 */
final class FanoutApi implements Api {

  /** Room for the fan-out to build and send its reply after its deadline. */
  static final long MARGIN_MS = 5_000;
  /** A gather first lists the nodes, which may take up to this long. */
  static final long GATHER_LIST_MS = 10_000;

  @Override
  public void mount(Router router, Forward forward) {
    router.post("/fanout").handler(waitingFor(forward, Addresses.Fanout.RUN, "deadlineMs", MARGIN_MS));
    router.post("/fanout/gather").handler(waitingFor(forward, Addresses.Fanout.GATHER, "timeoutMs", GATHER_LIST_MS + MARGIN_MS));
  }

  @Override
  public String openApi() {
    return "openapi/fanout.json";
  }

  private static Handler<RoutingContext> waitingFor(Forward forward, String address, String field, long extraMs) {
    forward.reaches(address);
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
        timeout = Math.max(timeout, n.longValue() + extraMs);
      }
      forward.send(ctx, address, body, 200, timeout);
    };
  }
}
