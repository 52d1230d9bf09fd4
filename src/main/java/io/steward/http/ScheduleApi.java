package io.steward.http;

import io.steward.bus.Addresses;
import io.steward.bus.StewardException;
import io.vertx.core.json.JsonObject;
import io.vertx.ext.web.Router;
import io.vertx.ext.web.RoutingContext;

/** {@code /schedules}: the schedule module's addresses over HTTP. */
final class ScheduleApi implements Api {

  @Override
  public void mount(Router router, Forward forward) {
    // A write runs on this node's schedule module when it runs one, so that its answer holds on the side of a split
    // the client talks to (Forward#preferHere).
    forward.preferHere(Addresses.Schedule.PUT);
    forward.preferHere(Addresses.Schedule.DELETE);
    forward.preferHere(Addresses.Schedule.PAUSE);
    forward.preferHere(Addresses.Schedule.RESUME);
    router.get("/schedules").handler(forward.to(Addresses.Schedule.LIST, 200,
      ctx -> Query.string(ctx, Query.integer(ctx, Query.only(ctx, "limit", "after"), "limit"), "after")));
    router.put("/schedules/:name").handler(forward.to(Addresses.Schedule.PUT, 200, ScheduleApi::job));
    router.get("/schedules/:name").handler(forward.params(Addresses.Schedule.GET, "name"));
    router.delete("/schedules/:name").handler(forward.params(Addresses.Schedule.DELETE, "name"));
    router.post("/schedules/:name/pause").handler(forward.params(Addresses.Schedule.PAUSE, "name"));
    router.post("/schedules/:name/resume").handler(forward.params(Addresses.Schedule.RESUME, "name"));
    router.post("/schedules/:name/trigger").handler(forward.params(Addresses.Schedule.TRIGGER, "name"));
    router.get("/schedules/:name/history").handler(forward.to(Addresses.Schedule.HISTORY, 200,
      ctx -> Query.integer(ctx, Query.only(ctx, "limit").put("name", ctx.pathParam("name")), "limit")));
  }

  /** The job definition is the body; its name is the path's (a different name in the body is a 400). */
  private static JsonObject job(RoutingContext ctx) {
    JsonObject body = Forward.jsonBody(ctx);
    String name = ctx.pathParam("name");
    Object inBody = body.getValue("name");
    if (inBody != null && !name.equals(inBody)) {
      throw StewardException.badRequest("name", "the body says '" + inBody + "' but the path says '" + name + "'");
    }
    return body.put("name", name);
  }

  @Override
  public String openApi() {
    return "openapi/schedule.json";
  }
}
