package io.steward.example;

import io.steward.client.Cache;
import io.steward.client.ClientOptions;
import io.steward.client.FanoutRequest;
import io.steward.client.FanoutResult;
import io.steward.client.Job;
import io.steward.client.JobInfo;
import io.steward.client.Retry;
import io.steward.client.StewardClient;
import io.steward.client.StewardException;
import io.steward.client.Task;
import io.steward.client.TaskRequest;
import io.steward.client.Update;
import io.steward.client.Updated;
import io.vertx.core.Future;
import io.vertx.core.json.JsonObject;

import java.time.Duration;
import java.time.ZoneId;
import java.util.List;

/**
 * The README's tour from Java, with the typed client ({@code io.steward.client}): one call per capability, each
 * answered by whichever node runs the module. The README quotes the lines between the {@code tour:} and
 * {@code join:} markers, and {@code TourTest} checks that it quotes them as they are here.
 *
 * <p>Run next to a node started with {@code java -jar target/steward.jar}:
 * {@code java -cp target/steward-<version>-client.jar:target/test-classes:<dependencies> io.steward.example.Tour}.
 */
public final class Tour {

  private Tour() {
  }

  /** The tour: a task, a fan-out, two jobs, a cache entry, a typed failure and a retried update. */
  static Future<JsonObject> tour(StewardClient steward) {
    // tour:start
    // Tasks: fire and forget, or run one and get its result when it ends.
    steward.tasks().send(TaskRequest.of("sleep").payload(new JsonObject().put("ms", 500)));
    Future<Task> task = steward.tasks().run("echo", new JsonObject().put("hello", "world"));  // result() {"hello":"world"}

    // Fan-out: three echo tasks at once, one answer with every result.
    Future<FanoutResult> fanout = steward.fanout()
      .run(FanoutRequest.tasks("echo", List.of(1, 2, 3)).mode(FanoutRequest.Mode.SETTLED));   // ok() 3

    // Scheduling: an echo task every 10 s, or on weekdays at 9 in Paris, fired once per cluster per tick.
    Future<JobInfo> job = steward.schedule().put("heartbeat",
      Job.every(Duration.ofSeconds(10)).runTask(TaskRequest.of("echo").payload(new JsonObject().put("ping", true))));
    Future<JobInfo> report = steward.schedule().put("morning-report",
      Job.cron("0 0 9 * * MON-FRI", ZoneId.of("Europe/Paris")).runTask(TaskRequest.of("echo")));

    // Cache: create a cache, put an entry, read it back (from any node).
    Cache users = steward.cache("users");
    Future<Object> cached = users.create(Duration.ofMinutes(5))
      .compose(created -> users.put("42", new JsonObject().put("name", "Ada")))
      .compose(stored -> users.get("42"));                                                  // {"name":"Ada"}

    // Failures: one exception with the code, retryable() and mayHaveApplied().
    Future<Integer> missing = steward.tasks().get("no-such-task")
      .map(found -> 200).otherwise(err -> ((StewardException) err).code());                 // 404

    // Retries: a retry sends the same body, so an update keeps its opId and applies once after a 408 or 504.
    Future<Updated> visits = cached.compose(value -> steward.withRetry(Retry.attempts(3))
      .cache("users").update("visits", Update.increment(1)));                              // value() 1
    // tour:end

    return Future.all(List.of(task, fanout, job, report, cached, missing, visits)).map(all -> new JsonObject()
      .put("task", task.result().result()).put("fanout", fanout.result().ok())
      .put("job", String.valueOf(job.result().nextFireAt())).put("report", String.valueOf(report.result().nextFireAt()))
      .put("cache", cached.result()).put("missing", missing.result()).put("visits", visits.result().value()));
  }

  public static void main(String[] args) {
    String clusterName = args.length > 0 ? args[0] : "steward";
    // join:start
    StewardClient.join(ClientOptions.defaults()          // a lite member, with the settings that must match the nodes
        .clusterName(clusterName)                        // the nodes' cluster.name (steward)
        .members(List.of("127.0.0.1:5701"))              // the nodes' cluster.members, with their port
        .clusterInterface("127.0.0.1")                   // the nodes' cluster.interface
        .failureDetectionSeconds(10))                    // the nodes' cluster.failureDetectionSeconds
      .compose(steward -> tour(steward).onComplete(done -> steward.close()))
    // join:end
      .onSuccess(results -> System.out.println("Tour: " + results.encode()))
      .onFailure(err -> {
        System.err.println("Tour failed: " + err.getMessage());
        System.exit(1);
      });
  }
}
