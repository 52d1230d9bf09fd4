package io.steward.clientjar;

import io.steward.client.ClientOptions;
import io.steward.client.Job;
import io.steward.client.StewardClient;
import io.steward.client.StewardException;
import io.steward.client.TaskRequest;
import io.vertx.core.Future;
import io.vertx.core.json.JsonObject;

import java.time.Duration;
import java.util.List;

/**
 * A service that uses only the client jar: {@link ClientJarIT} runs this file with Java's source launcher
 * ({@code java -cp <client jar and its dependencies> SeparateJvmClient.java …}), so it is compiled and run against
 * nothing but the client jar, vertx-core and vertx-hazelcast. It prints one line, {@code RESULT {json}}.
 *
 * <p>Arguments: cluster name, members (comma-separated), this member's port, failure detection seconds.
 */
public final class SeparateJvmClient {

  private SeparateJvmClient() {
  }

  /** A value of the application's own, mapped by Jackson databind. */
  public record User(String name, int age) {
  }

  public static void main(String[] args) {
    ClientOptions options = ClientOptions.defaults().clusterName(args[0]).members(List.of(args[1].split(",")))
      .port(Integer.parseInt(args[2])).failureDetectionSeconds(Integer.parseInt(args[3]));
    StewardClient.join(options)
      .compose(client -> calls(client).andThen(done -> client.close()))
      .onSuccess(result -> {
        System.out.println("RESULT " + result.encode());
        System.exit(0);
      })
      .onFailure(err -> {
        err.printStackTrace();
        System.exit(1);
      });
  }

  private static Future<JsonObject> calls(StewardClient client) {
    JsonObject out = new JsonObject().put("serverClassesVisible", visible("io.steward.bus.Failure"));
    return client.tasks().submit("echo", new JsonObject().put("from", "another JVM"))
      .compose(submitted -> client.tasks().await(submitted.id(), Duration.ofSeconds(30)))
      .compose(task -> {
        out.put("task", new JsonObject().put("id", task.id()).put("state", task.state()).put("result", task.result()));
        return client.schedule().put("separate-jvm", Job.every(Duration.ofHours(1)).runTask(TaskRequest.of("echo")));
      })
      .compose(job -> {
        out.put("job", new JsonObject().put("name", job.name()).put("nextFireAt", String.valueOf(job.nextFireAt())));
        return client.cache("separate-jvm").create(Duration.ofMinutes(5));
      })
      .compose(created -> client.cache("separate-jvm").put("42", new User("Ada", 36)))
      .compose(stored -> client.cache("separate-jvm").get("42", User.class))
      .compose(user -> {
        out.put("cache", new JsonObject().put("name", user.name()).put("age", user.age()));
        return client.tasks().get("no-such-task");
      })
      .transform(ar -> {
        if (ar.failed() && ar.cause() instanceof StewardException e) {
          out.put("failure", new JsonObject().put("type", e.getClass().getName()).put("code", e.code())
            .put("name", e.failure().name()).put("retryable", e.retryable()).put("mayHaveApplied", e.mayHaveApplied()));
          return Future.succeededFuture(out);
        }
        return Future.failedFuture(ar.failed() ? ar.cause() : new IllegalStateException("tasks.get of an unknown id succeeded"));
      });
  }

  private static boolean visible(String className) {
    try {
      Class.forName(className);
      return true;
    } catch (ClassNotFoundException e) {
      return false;
    }
  }
}
