package io.steward.http;

import io.steward.bus.Addresses;
import io.steward.bus.StewardException;
import io.vertx.core.json.JsonObject;
import io.vertx.ext.web.Router;
import io.vertx.ext.web.RoutingContext;


/** Routes of the tasks module: submit, run, get, list, cancel. */
final class TasksApi implements Api {

  /** A run may take as long as its task: the request waits for the task's timeout plus this margin. */
  static final long RUN_MARGIN_MS = 5_000;

  @Override
  public void mount(Router router, Forward forward) {
    router.post("/tasks").handler(forward.body(Addresses.Tasks.SUBMIT, 202));
    router.post("/tasks/run").handler(ctx -> run(ctx, forward));
    forward.reaches(Addresses.Tasks.RUN);
    router.get("/tasks").handler(forward.to(Addresses.Tasks.LIST, 200, TasksApi::listQuery));
    router.get("/tasks/:id").handler(forward.params(Addresses.Tasks.GET, "id"));
    router.delete("/tasks/:id").handler(forward.params(Addresses.Tasks.CANCEL, "id"));
  }

  private static void run(RoutingContext ctx, Forward forward) {
    JsonObject body;
    try {
      body = Forward.jsonBody(ctx);
    } catch (StewardException e) {
      HttpErrors.send(ctx, e);
      return;
    }
    long timeout = forward.timeoutMs();
    if (body.getValue("timeoutMs") instanceof Number n && n.longValue() > 0) {
      timeout = Math.max(timeout, Math.min(n.longValue(), Long.MAX_VALUE - RUN_MARGIN_MS) + RUN_MARGIN_MS);
    }
    forward.send(ctx, Addresses.Tasks.RUN, body, 200, timeout);
  }

  private static JsonObject listQuery(RoutingContext ctx) {
    JsonObject body = Query.only(ctx, "state", "type", "supervisor", "limit");
    Query.string(ctx, body, "state");
    Query.string(ctx, body, "type");
    Query.string(ctx, body, "supervisor");
    Query.integer(ctx, body, "limit");
    return body;
  }

  @Override
  public String openApi() {
    return "openapi/tasks.json";
  }
}
