package io.steward.client;

import io.steward.testing.Poll;
import io.steward.testing.TestCluster;
import io.vertx.core.Future;
import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

import java.time.DayOfWeek;
import java.time.Duration;
import java.time.ZoneId;
import java.time.ZonedDateTime;
import java.util.List;
import java.util.UUID;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

/**
 * Every typed call of the client against a Steward node in this JVM, the client joined as a lite member with
 * {@link StewardClient#join} (the settings that must match the nodes come from {@link ClientOptions}).
 */
class StewardClientTest {

  private static TestCluster cluster;
  private static StewardClient client;

  @BeforeAll
  static void start() throws Exception {
    cluster = TestCluster.create(StewardClientTest.class, 1);
    cluster.start(List.of("tasks", "fanout", "schedule", "cache", "workflows")).await(90, TimeUnit.SECONDS);
    JsonArray members = cluster.config(List.of(), null).getJsonObject("cluster").getJsonArray("members");
    String last = members.getString(members.size() - 1);
    ClientOptions options = ClientOptions.defaults().clusterName(cluster.name())
      .members(members.getList()).port(Integer.parseInt(last.substring(last.indexOf(':') + 1)))
      .failureDetectionSeconds(4);
    client = StewardClient.join(options).await(90, TimeUnit.SECONDS);
  }

  @AfterAll
  static void stop() throws Exception {
    if (client != null) {
      client.close().await(30, TimeUnit.SECONDS);
    }
    cluster.close();
  }

  private static <T> T await(Future<T> f) throws Exception {
    return f.await(60, TimeUnit.SECONDS);
  }

  private static StewardException failure(Future<?> f) {
    Throwable[] caught = new Throwable[1];
    assertThatThrownBy(() -> f.await(60, TimeUnit.SECONDS)).satisfies(e -> caught[0] = e);
    assertThat(caught[0]).isInstanceOf(StewardException.class);
    return (StewardException) caught[0];
  }

  @Test
  void tasks_are_submitted_run_awaited_read_listed_and_cancelled_as_records() throws Exception {
    Tasks tasks = client.tasks();
    Task ran = await(tasks.run("echo", new JsonObject().put("hello", "world")));
    assertThat(ran.succeeded()).isTrue();
    assertThat(ran.result()).isEqualTo(new JsonObject().put("hello", "world"));
    assertThat(ran.attempts()).isEqualTo(1);
    assertThat(ran.endedAt()).isAfterOrEqualTo(ran.startedAt());

    Submitted submitted = await(tasks.submit(TaskRequest.of("echo").payload(7).key("client-test-key")));
    assertThat(submitted.existing()).isFalse();
    Task awaited = await(tasks.await(submitted.id()));
    assertThat(awaited.id()).isEqualTo(submitted.id());
    assertThat(awaited.result()).isEqualTo(7);
    assertThat(await(tasks.get(submitted.id())).state()).isEqualTo("succeeded");
    TaskList listed = await(tasks.list(TaskList.Filter.all().type("echo").limit(10)));
    assertThat(listed.tasks()).extracting(Task::id).contains(submitted.id());

    Submitted sleeping = await(tasks.submit(TaskRequest.of("sleep").payload(new JsonObject().put("ms", 60_000))));
    Task cancelled = await(tasks.cancel(sleeping.id()));
    assertThat(cancelled.state()).isEqualTo("cancelled");
    StewardException again = failure(tasks.cancel(sleeping.id()));
    assertThat(again.failure()).isEqualTo(FailureCode.CONFLICT);
  }

  @Test
  void failures_come_back_as_one_exception_with_code_retry_and_applied() throws Exception {
    StewardException failed = failure(client.tasks().run("fail", new JsonObject().put("message", "no luck")));
    assertThat(failed.code()).isEqualTo(500);
    assertThat(failed.retryable()).isFalse();
    assertThat(failed.mayHaveApplied()).isTrue();
    assertThat(failed.getMessage()).contains("no luck");

    StewardException unknown = failure(client.tasks().get("no-such-task"));
    assertThat(unknown.failure()).isEqualTo(FailureCode.NOT_FOUND);
    assertThat(unknown.retryable()).isFalse();
    assertThat(unknown.mayHaveApplied()).isFalse();

    StewardException bad = failure(client.tasks().submit(TaskRequest.of("echo").timeout(Duration.ofMillis(-5))));
    assertThat(bad.failure()).isEqualTo(FailureCode.BAD_REQUEST);
    assertThat(bad.getMessage()).contains("timeoutMs");

    StewardException timedOut = failure(client.tasks().await(
      await(client.tasks().submit(TaskRequest.of("sleep").payload(new JsonObject().put("ms", 30_000)))).id(),
      Duration.ofMillis(200)));
    assertThat(timedOut.failure()).isEqualTo(FailureCode.TIMEOUT);
    assertThat(timedOut.retryable()).isTrue();
  }

  @Test
  void a_retrying_client_binds_a_key_of_its_own_that_the_node_keeps_after_the_task_ended() throws Exception {
    StewardClient retrying = client.withRetry(Retry.attempts(3));
    Task ran = await(retrying.tasks().run("echo", "once"));
    assertThat(ran.json().getString("key")).startsWith("client-");
    assertThat(ran.json().getLong("uniqueForMs")).isEqualTo(Duration.ofMinutes(10).toMillis());
    // What the retry sends: the same body, key and window included.
    Submitted again = await(client.tasks().submit(TaskRequest.of("echo").payload("once").key(ran.json().getString("key"))
      .uniqueFor(Duration.ofMinutes(10))));
    assertThat(again).as("a retry after the task ended answers it, not a new one").isEqualTo(new Submitted(ran.id(), true));
  }

  @Test
  void a_workflow_is_submitted_with_a_key_read_listed_cancelled_and_retried() throws Exception {
    String address = "client.wf.step." + UUID.randomUUID();
    AtomicInteger held = new AtomicInteger();
    List<io.vertx.core.eventbus.Message<JsonObject>> waiting = new java.util.concurrent.CopyOnWriteArrayList<>();
    client.vertx().eventBus().<JsonObject>consumer(address, m -> {
      if (m.body().getBoolean("hold", false) && held.getAndIncrement() == 0) {
        waiting.add(m); // the first attempt of a held step waits for the cancel
        return;
      }
      m.reply(new JsonObject().put("step", m.body().getString("step")).put("results", m.body().getJsonObject("results")));
    }).completion().await(10, TimeUnit.SECONDS);
    Workflows workflows = client.workflows();
    WorkflowRequest request = WorkflowRequest.of("client-wf").key("client-wf-" + UUID.randomUUID())
      .step("A", address, new JsonObject().put("step", "A"))
      .step("B", address, new JsonObject().put("step", "B"), "A");
    Submitted submitted = await(workflows.submit(request));
    assertThat(submitted.existing()).isFalse();
    assertThat(await(workflows.submit(request))).isEqualTo(new Submitted(submitted.id(), true));
    Workflow done = until(workflows, submitted.id(), "succeeded");
    assertThat(done.succeeded()).isTrue();
    assertThat(done.key()).isEqualTo(request.key());
    assertThat(done.stepState("B")).isEqualTo("succeeded");
    assertThat(done.stepResult("B", JsonObject.class).getJsonObject("results").getJsonObject("A").getString("step"))
      .isEqualTo("A");
    assertThat(done.endedAt()).isAfterOrEqualTo(done.submittedAt());
    assertThat(await(workflows.list("succeeded", "client-wf", 10))).extracting(Workflow::id).contains(submitted.id())
      .hasSize(1);

    Submitted stuck = await(workflows.submit(WorkflowRequest.of("client-wf-held")
      .step("H", address, new JsonObject().put("step", "H").put("hold", true))));
    Poll.until(client.vertx(), "H's request arrived", 60_000, () -> Future.succeededFuture(!waiting.isEmpty()))
      .await(70, TimeUnit.SECONDS);
    Workflow cancelled = await(workflows.cancel(stuck.id()));
    assertThat(cancelled.state()).isEqualTo("cancelled");
    assertThat(failure(workflows.cancel(stuck.id())).failure()).isEqualTo(FailureCode.CONFLICT);
    assertThat(await(workflows.retry(stuck.id())).state()).isEqualTo("running");
    assertThat(until(workflows, stuck.id(), "succeeded").stepState("H")).isEqualTo("succeeded");
    assertThat(failure(workflows.get("no-such-workflow")).failure()).isEqualTo(FailureCode.NOT_FOUND);
  }

  private static Workflow until(Workflows workflows, String id, String state) throws Exception {
    Workflow[] last = new Workflow[1];
    Poll.until(client.vertx(), "workflow " + id + " " + state, 60_000, () -> workflows.get(id).map(w -> {
      last[0] = w;
      return state.equals(w.state());
    })).await(70, TimeUnit.SECONDS);
    return last[0];
  }

  @Test
  void a_fanout_runs_every_item_and_a_gather_asks_every_node() throws Exception {
    FanoutResult result = await(client.fanout().run(FanoutRequest.tasks("echo", List.of(1, 2, 3))
      .mode(FanoutRequest.Mode.SETTLED).concurrency(2)));
    assertThat(result.satisfied()).isTrue();
    assertThat(result.ok()).isEqualTo(3);
    assertThat(result.results()).extracting(FanoutResult.Item::value).containsExactly(1, 2, 3);

    FanoutResult failing = await(client.fanout().run(FanoutRequest.tasks("fail", List.of(new JsonObject()))));
    assertThat(failing.outcome()).isEqualTo("failed");
    assertThat(failing.results().get(0).errorCode()).isEqualTo(500);

    GatherResult gathered = await(client.fanout().gather("health"));
    assertThat(gathered.nodes()).hasSize(1);
    assertThat(gathered.nodes().get(0).status()).isEqualTo("ok");
  }

  @Test
  void a_job_is_put_paused_resumed_triggered_and_its_history_read() throws Exception {
    Schedule schedule = client.schedule();
    JobInfo put = await(schedule.put("client-every", Job.every(Duration.ofHours(1))
      .runTask(TaskRequest.of("echo").payload("tick")).description("from the client test")));
    assertThat(put.name()).isEqualTo("client-every");
    assertThat(put.paused()).isFalse();
    assertThat(put.nextFireAt()).isNotNull();

    assertThat(await(schedule.pause("client-every")).paused()).isTrue();
    assertThat(await(schedule.resume("client-every")).paused()).isFalse();
    JobRun run = await(schedule.trigger("client-every"));
    assertThat(run.outcome()).isEqualTo("succeeded");
    assertThat(run.trigger()).isTrue();
    JobHistory history = await(schedule.history("client-every"));
    assertThat(history.runs()).extracting(JobRun::trigger).contains(true);
    assertThat(await(schedule.get("client-every")).json().getString("description")).isEqualTo("from the client test");

    ZoneId paris = ZoneId.of("Europe/Paris");
    JobInfo cron = await(schedule.put("client-cron", Job.cron("0 0 9 * * MON-FRI", paris)
      .send("client.nowhere", new JsonObject()).overlap(Job.Overlap.SKIP).misfire(Job.Misfire.FIRE_ONCE)));
    ZonedDateTime next = cron.nextFireAt().atZone(paris);
    assertThat(next.getHour()).isEqualTo(9);
    assertThat(next.getDayOfWeek()).isNotIn(DayOfWeek.SATURDAY, DayOfWeek.SUNDAY);

    await(schedule.delete("client-cron"));
    assertThat(failure(schedule.get("client-cron")).failure()).isEqualTo(FailureCode.NOT_FOUND);
    assertThat(failure(schedule.put("bad", Job.cron("0 9 * * *", paris).runTask(TaskRequest.of("echo")))).code())
      .as("a five-field cron").isEqualTo(400);
  }

  /** A value type of the application's own, mapped by Jackson databind. */
  record User(String name, int age) {
  }

  @Test
  void records_go_in_and_come_out_typed() throws Exception {
    Cache users = client.cache("client-typed");
    await(users.create(Duration.ofMinutes(5)));
    await(users.put("ada", new User("Ada", 36)));
    assertThat(await(users.get("ada"))).as("stored as JSON").isEqualTo(new JsonObject().put("name", "Ada").put("age", 36));
    assertThat(await(users.get("ada", User.class))).isEqualTo(new User("Ada", 36));
    assertThat(await(users.get("nobody", User.class))).isNull();

    Task echoed = await(client.tasks().run(TaskRequest.of("echo").payload(new User("Grace", 45))));
    assertThat(echoed.result(User.class)).isEqualTo(new User("Grace", 45));
    FanoutResult fanned = await(client.fanout().run(FanoutRequest.tasks("echo", List.of(new JsonObject().put("name", "Alan")))));
    assertThat(fanned.results().get(0).value(User.class)).isEqualTo(new User("Alan", 0));
    Computed computed = await(users.getOrCompute("linus", key -> Future.succeededFuture(new User("Linus", 54))));
    assertThat(computed.value(User.class)).isEqualTo(new User("Linus", 54));
  }

  @Test
  void a_cache_gets_puts_updates_and_computes_once() throws Exception {
    Cache users = client.cache("client-users");
    assertThat(await(users.create(Duration.ofMinutes(5)))).isTrue();
    assertThat(await(users.get("42"))).isNull();
    await(users.put("42", new JsonObject().put("name", "Ada")));
    assertThat(await(users.get("42"))).isEqualTo(new JsonObject().put("name", "Ada"));

    Updated first = await(users.update("visits", Update.increment(2), "op-1"));
    assertThat(first.value()).isEqualTo(2);
    assertThat(first.duplicate()).isFalse();
    Updated retried = await(users.update("visits", Update.increment(2), "op-1"));
    assertThat(retried.duplicate()).as("the same opId again: applied once").isTrue();
    assertThat(await(users.get("visits"))).isEqualTo(2);
    assertThat(await(users.update("profile", Update.merge(new JsonObject().put("a", 1)))).value())
      .isEqualTo(new JsonObject().put("a", 1));

    AtomicInteger calls = new AtomicInteger();
    Computed computed = await(users.getOrCompute("7", key -> {
      calls.incrementAndGet();
      return Future.succeededFuture(new JsonObject().put("id", key));
    }));
    assertThat(computed.computed()).isTrue();
    assertThat(computed.value()).isEqualTo(new JsonObject().put("id", "7"));
    Computed cached = await(users.getOrCompute("7", key -> {
      calls.incrementAndGet();
      return Future.succeededFuture(new JsonObject().put("id", "other"));
    }));
    assertThat(cached).isEqualTo(new Computed(new JsonObject().put("id", "7"), false));
    assertThat(calls).hasValue(1);

    Computed byTask = await(users.getOrCompute("8", Compute.task("echo", "eight")));
    assertThat(byTask).isEqualTo(new Computed("eight", true));
    assertThat(await(users.delete("8"))).isTrue();
    assertThat(failure(client.cache("no-such-cache").get("1")).failure()).isEqualTo(FailureCode.NOT_FOUND);
  }
}
