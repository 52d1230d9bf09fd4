package io.steward.http;

import io.steward.bus.Addresses;
import io.vertx.ext.web.Router;

/** Routes of the node itself: membership. Health, metrics and the OpenAPI document are mounted by {@link HttpVerticle}. */
final class CoreApi implements Api {

  @Override
  public void mount(Router router, Forward forward) {
    router.get("/nodes").handler(forward.paramsHere(Addresses.Nodes.LIST));
  }

  @Override
  public String openApi() {
    return "openapi/nodes.json";
  }
}
