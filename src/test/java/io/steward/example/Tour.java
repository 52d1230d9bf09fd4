package io.steward.example;

import io.vertx.core.Future;
import io.vertx.core.Vertx;
import io.vertx.core.eventbus.DeliveryOptions;
import io.vertx.core.eventbus.EventBus;
import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;

import java.util.List;

/**
 * The README's tour from Java: one call per capability over the clustered event bus, from a Vert.x service that
 * joined the cluster as a lite member ({@link JoinAsLiteMember}). The README quotes {@link #tour}; keep the two
 * alike.
 *
 * <p>Run next to a node started with {@code java -jar target/steward.jar}:
 * {@code java -cp target/test-classes:target/classes:<dependencies> io.steward.example.Tour [clusterName]}.
 */
public final class Tour {

  private Tour() {
  }

  /** The tour: a task, a fan-out, a schedule and a cache entry, each answered by whichever node runs the module. */
  static Future<JsonObject> tour(Vertx vertx) {
    EventBus bus = vertx.eventBus();
    DeliveryOptions wait = new DeliveryOptions().setSendTimeout(30_000);

    // Tasks: fire and forget (send), or run and await the result (request).
    bus.send("steward.tasks.submit", new JsonObject().put("type", "sleep").put("payload", new JsonObject().put("ms", 500)));
    Future<Object> task = bus.request("steward.tasks.run",
        new JsonObject().put("type", "echo").put("payload", new JsonObject().put("hello", "world")), wait)
      .map(reply -> ((JsonObject) reply.body()).getValue("result"));               // {"hello":"world"}

    // Fan-out: three echo tasks at once, one answer with every result.
    Future<Object> fanout = bus.request("steward.fanout.run",
        new JsonObject().put("type", "echo").put("items", new JsonArray().add(1).add(2).add(3)).put("mode", "settled"), wait)
      .map(reply -> ((JsonObject) reply.body()).getValue("counts"));               // {"total":3,"ok":3,...}

    // Scheduling: an echo task every 10 s, fired once per cluster per tick.
    Future<Object> job = bus.request("steward.schedule.put", new JsonObject().put("name", "heartbeat").put("every", "10s")
        .put("action", new JsonObject().put("type", "task")
          .put("task", new JsonObject().put("type", "echo").put("payload", new JsonObject().put("ping", true)))))
      .map(reply -> ((JsonObject) reply.body()).getValue("nextFireAt"));

    // Cache: create a cache, put an entry, read it back (from any node).
    Future<Object> cached = bus.request("steward.cache.create", new JsonObject().put("name", "users").put("ttlSeconds", 300))
      .compose(created -> bus.request("steward.cache.put",
        new JsonObject().put("cache", "users").put("key", "42").put("value", new JsonObject().put("name", "Ada"))))
      .compose(stored -> bus.request("steward.cache.get", new JsonObject().put("cache", "users").put("key", "42")))
      .map(reply -> ((JsonObject) reply.body()).getValue("value"));                // {"name":"Ada"}

    return Future.all(task, fanout, job, cached).map(all -> new JsonObject()
      .put("task", all.resultAt(0)).put("fanout", all.resultAt(1)).put("job", all.resultAt(2)).put("cache", all.resultAt(3)));
  }

  public static void main(String[] args) {
    String clusterName = args.length > 0 ? args[0] : "steward";
    JoinAsLiteMember.join(clusterName, List.of("127.0.0.1:5701"), 5801)
      .compose(vertx -> tour(vertx).onComplete(done -> vertx.close()))
      .onSuccess(results -> System.out.println("Tour: " + results.encode()))
      .onFailure(err -> {
        System.err.println("Tour failed: " + err.getMessage());
        System.exit(1);
      });
  }
}
