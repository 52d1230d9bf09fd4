package io.steward.http;

import io.steward.bus.Addresses;
import io.vertx.ext.web.Router;

/** Routes of the node itself: membership. Health, metrics and the OpenAPI document are mounted by {@link HttpVerticle}. */
final class CoreApi implements Api {

  @Override
  public void mount(Router router, Forward forward) {
    // Every node answers steward.nodes.list from the cluster-wide registry: asked here, a request cannot go to a node
    // that was just killed (the bus still picks its consumer for a moment, and that request waited for
    // http.requestTimeoutMs, then a 408).
    router.get("/nodes").handler(forward.params(forward.preferHere(Addresses.Nodes.LIST)));
  }

  @Override
  public String openApi() {
    return "openapi/nodes.json";
  }
}
