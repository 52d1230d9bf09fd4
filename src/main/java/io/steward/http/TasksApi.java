package io.steward.http;

import io.steward.bus.Addresses;
import io.vertx.core.json.JsonObject;
import io.vertx.ext.web.Router;
import io.vertx.ext.web.RoutingContext;

/** Routes of the tasks module: submit, run, get, list, cancel, dead letters, supervisors (pause, resume). */
final class TasksApi implements Api {

  @Override
  public void mount(Router router, Forward forward) {
    router.post("/tasks").handler(forward.body(Addresses.Tasks.SUBMIT, 202));
    // A run may take as long as its task: the request waits for the task's timeoutMs (plus the margin).
    router.post("/tasks/run").handler(forward.waitingFor(Addresses.Tasks.RUN, "timeoutMs", 0, Forward::jsonBody));
    router.get("/tasks").handler(forward.to(Addresses.Tasks.LIST, 200, TasksApi::listQuery));
    // Before /tasks/:id: task ids are generated ({node prefix}-{n}), never this word.
    router.get("/tasks/deadletters").handler(forward.to(Addresses.Tasks.DEADLETTERS, 200, TasksApi::deadLettersQuery));
    router.get("/tasks/supervisors").handler(forward.to(Addresses.Tasks.SUPERVISORS, 200, ctx -> Query.string(ctx, Query.only(ctx, "supervisor"), "supervisor")));
    router.post("/tasks/supervisors/:supervisor/pause").handler(forward.params(Addresses.Tasks.PAUSE, "supervisor"));
    router.post("/tasks/supervisors/:supervisor/resume").handler(forward.params(Addresses.Tasks.RESUME, "supervisor"));
    router.get("/tasks/:id").handler(forward.params(Addresses.Tasks.GET, "id"));
    router.delete("/tasks/:id").handler(forward.params(Addresses.Tasks.CANCEL, "id"));
  }

  private static JsonObject listQuery(RoutingContext ctx) {
    JsonObject body = Query.only(ctx, "state", "type", "supervisor", "limit");
    Query.string(ctx, body, "state");
    Query.string(ctx, body, "type");
    Query.string(ctx, body, "supervisor");
    Query.integer(ctx, body, "limit");
    return body;
  }

  private static JsonObject deadLettersQuery(RoutingContext ctx) {
    JsonObject body = Query.only(ctx, "type", "supervisor", "limit");
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
