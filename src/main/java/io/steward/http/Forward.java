package io.steward.http;

import io.steward.bus.AddressRule;
import io.steward.bus.Addresses;
import io.steward.bus.Door;
import io.steward.bus.Fields;
import io.steward.bus.StewardException;
import io.vertx.core.Future;
import io.vertx.core.Handler;
import io.vertx.core.Vertx;
import io.vertx.core.buffer.Buffer;
import io.vertx.core.eventbus.DeliveryOptions;
import io.vertx.core.eventbus.Message;
import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import io.vertx.ext.web.RoutingContext;

import java.util.ArrayList;
import java.util.List;
import java.util.Set;
import java.util.TreeSet;
import java.util.function.Function;
import java.util.function.ToLongFunction;
import java.util.regex.Pattern;

/**
 * Forwards an HTTP request to an event-bus address and writes the reply: the REST API is a thin door onto
 * the bus, so the HTTP module runs on nodes without the modules it fronts, and bus and HTTP clients get
 * the same validation and the same failure codes. Every request carries the HTTP API's {@link Door}: an address
 * its body names may be one a route forwards to, or one in {@code http.targets}.
 */
final class Forward {

  /** {@code steward.node.<id>.info} and {@code steward.node.<id>.health} (see {@link Addresses#node}). */
  static final Pattern NODE_INFO_AND_HEALTH = Pattern.compile("steward\\.node\\.[^.]+\\.(info|health)");
  /** Room for a module to build and send its reply after the time the request gave it. */
  static final long REPLY_MARGIN_MS = 5_000;

  private final Vertx vertx;
  private final long timeoutMs;
  /** The addresses the routes forward to: what the HTTP API's door permits, with {@code http.targets}. */
  private final Set<String> routes = new TreeSet<>();
  /** The addresses whose requests go to this node's own consumer when it has one ({@link #preferHere}). */
  private final Set<String> here = new TreeSet<>();
  private Door door;

  Forward(Vertx vertx, long timeoutMs) {
    this.vertx = vertx;
    this.timeoutMs = timeoutMs;
  }

  /** POST/PUT: the JSON body, with the path parameters added. */
  Handler<RoutingContext> body(String address, int status, String... pathParams) {
    return to(address, status, ctx -> withParams(jsonBody(ctx), ctx, pathParams));
  }

  /** GET/DELETE: the path parameters (and whatever {@code extra} adds from the query) as the body. */
  Handler<RoutingContext> params(String address, String... pathParams) {
    return to(address, 200, ctx -> withParams(new JsonObject(), ctx, pathParams));
  }

  /** Any request: {@code request} builds the bus body (throw {@link StewardException} for a 400). */
  Handler<RoutingContext> to(String address, int status, Function<RoutingContext, JsonObject> request) {
    return forward(address, status, request, body -> timeoutMs);
  }

  /**
   * A request that says how long it may take (its {@code field}, in ms: a run's {@code timeoutMs}, a fan-out's
   * {@code deadlineMs}): the route waits for the reply that long, plus {@code extraMs} the module needs
   * before it starts counting, plus {@link #REPLY_MARGIN_MS}; never less than {@code http.requestTimeoutMs}.
   * So HTTP never cuts off an answer the module still gives.
   */
  Handler<RoutingContext> waitingFor(String address, String field, long extraMs, Function<RoutingContext, JsonObject> request) {
    return forward(address, 200, request, body -> waitMs(timeoutMs, body.getValue(field), extraMs));
  }

  /**
   * The one rule of {@link #waitingFor}. The module checks the value (a 400 past its own maximum, which a setting
   * can raise at most to {@link Integer#MAX_VALUE} ms); here it is only capped there, so the sum cannot overflow.
   */
  static long waitMs(long requestTimeoutMs, Object asked, long extraMs) {
    if (asked instanceof Number n && n.longValue() > 0) {
      return Math.max(requestTimeoutMs, Math.min(n.longValue(), Integer.MAX_VALUE) + extraMs + REPLY_MARGIN_MS);
    }
    return requestTimeoutMs;
  }

  private Handler<RoutingContext> forward(String address, int status, Function<RoutingContext, JsonObject> request,
                                          ToLongFunction<JsonObject> timeout) {
    reaches(address);
    return ctx -> {
      JsonObject body;
      try {
        body = request.apply(ctx);
      } catch (StewardException e) {
        HttpErrors.send(ctx, e);
        return;
      }
      send(ctx, address, body, status, timeout.applyAsLong(body));
    };
  }

  /**
   * Requests for {@code address} go to this node's own consumer when it has one (the node runs the module), else to
   * any node's, as for every other route. For writes whose answer must hold on the asking node's side of a split:
   * the event bus picks any node with a consumer, and until a split is detected and the bus's subscriptions of the
   * other side are cleaned up, that may be a node across it (campaign seeds 1013, 1021, 1026, 1045: a schedule
   * delete sent to one node ran on a node across a split, was answered 200, and the asking node's side fired the
   * job until the merge). Returns the address.
   */
  String preferHere(String address) {
    here.add(address);
    return address;
  }

  /** Declares an address a route forwards to (routes built on {@link #to} declare theirs); returns it. */
  String reaches(String address) {
    routes.add(address);
    return address;
  }

  /**
   * Once every route is mounted: the HTTP API's door permits as the targets of what it forwards (see {@link Door})
   * the addresses of its routes, each node's {@code info} and {@code health} (what {@code GET /nodes} and
   * {@code GET /health} show already; so {@code POST /fanout/gather} of them works), and {@code targets}
   * ({@code http.targets}).
   */
  void permit(List<AddressRule> targets) {
    List<AddressRule> own = new ArrayList<>();
    routes.forEach(a -> own.add(new AddressRule(a, null)));
    own.add(new AddressRule(null, NODE_INFO_AND_HEALTH));
    door = Door.of("the HTTP API", "http.targets", own, targets);
  }

  void send(RoutingContext ctx, String address, JsonObject body, int status, long timeout) {
    if (!routes.contains(address)) {
      throw new IllegalStateException("route to " + address + " was not declared with Forward.reaches");
    }
    DeliveryOptions options = Door.stamp(door, new DeliveryOptions().setSendTimeout(timeout));
    Future<Message<Object>> answer;
    if (here.contains(address)) {
      // No consumer here (the node does not run the module): at once NO_HANDLERS, then any node's, as before.
      answer = io.steward.spi.Cluster.requestHereFirst(vertx, address, body, options);
    } else {
      answer = vertx.eventBus().request(address, body, options);
    }
    answer.onComplete(ar -> {
      if (ar.failed()) {
        HttpErrors.send(ctx, ar.cause());
        return;
      }
      Object reply = ar.result().body();
      if (reply == null) {
        ctx.response().setStatusCode(204).end();
      } else if (reply instanceof JsonObject o) {
        ctx.response().setStatusCode(status).putHeader("content-type", "application/json").end(o.toBuffer());
      } else if (reply instanceof JsonArray a) {
        ctx.response().setStatusCode(status).putHeader("content-type", "application/json").end(a.toBuffer());
      } else {
        ctx.response().setStatusCode(status).putHeader("content-type", "application/json")
          .end(Buffer.buffer(io.vertx.core.json.Json.encode(reply)));
      }
    });
  }

  long timeoutMs() {
    return timeoutMs;
  }

  /** The request body as a JSON object, or a 400 naming what is wrong with it. */
  static JsonObject jsonBody(RoutingContext ctx) {
    Buffer buffer = ctx.body() == null ? null : ctx.body().buffer();
    if (buffer == null || buffer.length() == 0) {
      throw StewardException.badRequest("body: a JSON object is required, got an empty body");
    }
    return Fields.object(buffer);
  }

  private static JsonObject withParams(JsonObject body, RoutingContext ctx, String... names) {
    for (String name : names) {
      body.put(name, ctx.pathParam(name));
    }
    return body;
  }
}
