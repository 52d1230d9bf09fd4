package io.steward.fanout;

import io.opentelemetry.api.trace.Span;
import io.opentelemetry.api.trace.SpanBuilder;
import io.opentelemetry.api.trace.Tracer;
import io.opentelemetry.context.Context;
import io.steward.bus.Addresses;
import io.steward.observe.Tracing;
import io.steward.spi.Cluster;
import io.steward.bus.Door;
import io.steward.bus.StewardException;
import io.vertx.core.Future;
import io.vertx.core.Promise;
import io.vertx.core.Vertx;
import io.vertx.core.eventbus.DeliveryOptions;
import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;

import java.util.ArrayList;
import java.util.List;
import java.util.Set;
import java.util.concurrent.TimeUnit;

/**
 * One gather: lists the nodes ({@code steward.nodes.list}), asks each one on its own address, and settles
 * every node's entry: {@code ok}, {@code failed}, {@code timed-out}, or {@code left} when Hazelcast reports the
 * member gone before it answered ({@link #nodeLeft}) — a dead node is reported, not waited for.
 */
final class Gather implements Runs.Running {

  /** How long listing the nodes may take at most (it is a read of the node registry). */
  static final long LIST_TIMEOUT_MS = 10_000;

  private final Vertx vertx;
  private final GatherRequest request;
  /** The door the gather came through, or null from inside the cluster. */
  private final Door door;
  private final Promise<JsonObject> promise = Promise.promise();
  private final long startedNanos = System.nanoTime();
  private List<JsonObject> nodes = List.of();
  private Aggregation aggregation;
  private Object[] results;
  private boolean ended;
  /** Traced (docs/tracing.md): the gather's span, and each node's item span while it is in flight; null otherwise. */
  private final Tracer tracer;
  private final Span span;
  private Span[] itemSpans;

  Gather(Vertx vertx, GatherRequest request, Door door) {
    this(vertx, request, door, null, null);
  }

  /** {@code tracer} null: not traced; {@code parent}: the context of the request that asked for it. */
  Gather(Vertx vertx, GatherRequest request, Door door, Tracer tracer, Context parent) {
    this.vertx = vertx;
    this.request = request;
    this.door = door;
    this.tracer = tracer;
    SpanBuilder b = Tracing.span(tracer, "fanout gather", parent);
    this.span = b == null ? null : b.setAttribute(Tracing.VERB, request.verb()).startSpan();
  }

  @Override
  public String kind() {
    return Runs.GATHER;
  }

  @Override
  public int inFlight() {
    Aggregation a = aggregation;
    return a == null ? 0 : a.inFlight();
  }

  @Override
  public Aggregation aggregation() {
    return aggregation;
  }

  @Override
  public long startedNanos() {
    return startedNanos;
  }

  /** Lists the nodes, then asks them all; the future is the aggregated reply. Call on the event loop. */
  Future<JsonObject> start() {
    Tracing.within(span, this::listNodes).onComplete((list, err) -> {
      if (err != null) {
        fail(StewardException.unavailable("could not list the nodes to gather from ("
          + Addresses.Nodes.LIST + ": " + err.getMessage() + ")"));
        return;
      }
      ask(select(list));
    });
    return promise.future();
  }

  private void fail(StewardException e) {
    ended = true;
    Tracing.end(span, e.getMessage());
    promise.fail(e);
  }

  /**
   * Asks this node's own registry first: {@code steward.nodes.list} is answered by every node, and a frozen
   * one would hold the gather up until the list times out. Falls back to any node while this node's
   * registry is not announced (starting or stopping).
   */
  private Future<JsonObject> listNodes() {
    long timeout = Math.min(request.timeoutMs(), LIST_TIMEOUT_MS);
    DeliveryOptions local = new DeliveryOptions().setSendTimeout(timeout).setLocalOnly(true);
    return vertx.eventBus().request(Addresses.Nodes.LIST, new JsonObject(), local)
      .recover(err -> Replies.code(err) == 503
        ? vertx.eventBus().request(Addresses.Nodes.LIST, new JsonObject(), new DeliveryOptions().setSendTimeout(timeout))
        : Future.failedFuture(err))
      .map(reply -> (JsonObject) reply.body());
  }

  private List<JsonObject> select(JsonObject list) {
    List<JsonObject> out = new ArrayList<>();
    for (Object o : list.getJsonArray("nodes", new JsonArray())) {
      JsonObject node = (JsonObject) o;
      if (request.module() == null || node.getJsonArray("modules", new JsonArray()).contains(request.module())) {
        out.add(node);
      }
    }
    return out;
  }

  private void ask(List<JsonObject> selected) {
    if (door != null) {
      try {
        for (JsonObject node : selected) {
          door.check("verb", Addresses.node(node.getString("id"), request.verb()));
        }
      } catch (StewardException e) {
        fail(e);
        return;
      }
    }
    nodes = selected;
    int n = nodes.size();
    aggregation = new Aggregation(Mode.SETTLED, n, 0, Math.max(1, n));
    results = new Object[n];
    if (span != null) {
      span.setAttribute(Tracing.ITEMS, (long) n);
      itemSpans = new Span[n];
    }
    Set<String> live = Cluster.liveNodeIds(vertx);
    DeliveryOptions options = Door.stamp(door, new DeliveryOptions().setSendTimeout(request.timeoutMs()));
    int i;
    while ((i = aggregation.take()) >= 0) {
      String id = nodes.get(i).getString("id");
      if (!live.contains(id)) {
        left(i);
        continue;
      }
      int item = i;
      String address = Addresses.node(id, request.verb());
      Span itemSpan = itemSpan(i, address);
      Tracing.within(itemSpan, () -> vertx.eventBus().request(address, request.body(), options)).onComplete((reply, err) -> {
        if (aggregation.status(item) != null || aggregation.decided()) {
          return; // already reported as left
        }
        endItemSpan(item, err == null ? null : String.valueOf(err.getMessage()));
        if (err == null) {
          results[item] = reply.body();
          aggregation.complete(item, Status.OK);
        } else {
          results[item] = Replies.error(err, address, request.timeoutMs());
          aggregation.complete(item, Replies.status(Replies.code(err)));
        }
        endIfDecided();
      });
    }
    endIfDecided();
  }

  /** Node {@code i}'s item span, a child of the gather's, or null when not traced. */
  private Span itemSpan(int i, String address) {
    if (span == null) {
      return null;
    }
    Span item = tracer.spanBuilder("fanout item").setParent(Context.root().with(span))
      .setAttribute(Tracing.ITEM, (long) i).setAttribute(Tracing.ADDRESS, address).startSpan();
    itemSpans[i] = item;
    return item;
  }

  private void endItemSpan(int i, String error) {
    if (itemSpans != null) {
      Tracing.end(itemSpans[i], error);
      itemSpans[i] = null;
    }
  }

  /** Hazelcast reports that this node left the cluster: its entry is settled now. */
  void nodeLeft(String nodeId) {
    if (aggregation == null || ended) {
      return; // still listing: the list is checked against live members when it arrives
    }
    for (int i = 0; i < nodes.size(); i++) {
      if (nodes.get(i).getString("id").equals(nodeId) && aggregation.status(i) == null) {
        left(i);
      }
    }
    endIfDecided();
  }

  private void left(int i) {
    JsonObject node = nodes.get(i);
    results[i] = Replies.error(504, "node " + node.getString("name") + " (" + node.getString("id")
      + ") left the cluster before it answered; whether it acted on the request is unknown");
    endItemSpan(i, "left: the node left the cluster before it answered");
    aggregation.complete(i, Status.LEFT);
  }

  private void endIfDecided() {
    if (ended || !aggregation.decided()) {
      return;
    }
    ended = true;
    JsonObject reply = reply();
    if (span != null) {
      span.end(); // a node that failed or left is its item's error, not the gather's
    }
    promise.complete(reply);
  }

  private JsonObject reply() {
    JsonArray entries = new JsonArray(new ArrayList<>(nodes.size()));
    for (int i = 0; i < nodes.size(); i++) {
      Status status = aggregation.status(i);
      JsonObject node = nodes.get(i);
      JsonObject e = Replies.object(5).put("index", i).put("node", node.getString("id"))
        .put("name", node.getString("name")).put("status", status.text());
      if (status == Status.OK) {
        e.put("value", Replies.json(results[i]));
      } else {
        e.put("error", results[i]);
      }
      entries.add(e);
    }
    JsonObject counts = Replies.object(5)
      .put("total", nodes.size())
      .put("ok", aggregation.count(Status.OK))
      .put("failed", aggregation.count(Status.FAILED))
      .put("timedOut", aggregation.count(Status.TIMED_OUT))
      .put("left", aggregation.count(Status.LEFT));
    JsonObject reply = Replies.object(6).put("verb", request.verb());
    if (request.module() != null) {
      reply.put("module", request.module());
    }
    return reply.put("counts", counts)
      .put("elapsedMs", TimeUnit.NANOSECONDS.toMillis(System.nanoTime() - startedNanos))
      .put("nodes", entries);
  }
}
