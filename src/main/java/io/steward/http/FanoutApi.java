package io.steward.http;

import io.steward.bus.Addresses;
import io.vertx.ext.web.Router;

/**
 * {@code POST /fanout} and {@code POST /fanout/gather}. A fan-out may run longer than
 * {@code http.requestTimeoutMs}: the route waits for the bus reply as long as the request's own
 * {@code deadlineMs} plus the margin (gather: its {@code timeoutMs}, plus up to 10 s to list the nodes, plus the
 * margin), so the answer is never cut off by HTTP ({@link Forward#waitingFor}).
 */
final class FanoutApi implements Api {

  /** A gather first lists the nodes, which may take up to this long. */
  static final long GATHER_LIST_MS = 10_000;

  @Override
  public void mount(Router router, Forward forward) {
    router.post("/fanout").handler(forward.waitingFor(Addresses.Fanout.RUN, "deadlineMs", 0, Forward::jsonBody));
    router.post("/fanout/gather").handler(forward.waitingFor(Addresses.Fanout.GATHER, "timeoutMs", GATHER_LIST_MS, Forward::jsonBody));
  }

  @Override
  public String openApi() {
    return "openapi/fanout.json";
  }
}
