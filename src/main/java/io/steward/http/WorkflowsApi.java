package io.steward.http;

import io.steward.bus.Addresses;
import io.vertx.core.json.JsonObject;
import io.vertx.ext.web.Router;
import io.vertx.ext.web.RoutingContext;

/** {@code /workflows}: the workflows module's addresses over HTTP (docs/workflows.md). */
final class WorkflowsApi implements Api {

  @Override
  public void mount(Router router, Forward forward) {
    router.post("/workflows").handler(forward.body(Addresses.Workflows.SUBMIT, 202));
    router.get("/workflows").handler(forward.to(Addresses.Workflows.LIST, 200, WorkflowsApi::listQuery));
    router.get("/workflows/:id").handler(forward.params(Addresses.Workflows.GET, "id"));
    router.post("/workflows/:id/cancel").handler(forward.params(Addresses.Workflows.CANCEL, "id"));
    router.post("/workflows/:id/retry").handler(forward.params(Addresses.Workflows.RETRY, "id"));
  }

  private static JsonObject listQuery(RoutingContext ctx) {
    JsonObject body = Query.only(ctx, "state", "name", "limit");
    Query.string(ctx, body, "state");
    Query.string(ctx, body, "name");
    Query.integer(ctx, body, "limit");
    return body;
  }

  @Override
  public String openApi() {
    return "openapi/workflows.json";
  }
}
