package io.steward.tasks;

import io.steward.bus.Addresses;
import io.steward.node.StewardNode;
import io.steward.testing.Poll;
import io.steward.testing.TestCluster;
import io.vertx.core.Future;
import io.vertx.core.Promise;
import io.vertx.core.eventbus.DeliveryOptions;
import io.vertx.core.eventbus.ReplyException;
import io.vertx.core.json.JsonObject;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * Campaign seed 1004: a restarted node's tasks module failed its first start (a partition was moving) after it had
 * already accepted and run five durable tasks; the retried start began with a new engine, and what the failed attempt
 * had accepted belonged to nobody. A start may fail after the module's consumers are registered, so the module accepts
 * no work until its start has succeeded: a submit or run that reaches it before is refused, 503 (nothing accepted;
 * retry). Here one start step of the module is held, then failed.
 */
class StartingModuleTest {

  private static final DeliveryOptions HERE = new DeliveryOptions().setLocalOnly(true).setSendTimeout(10_000);

  @AfterEach
  void clear() {
    TasksVerticle.startStep = null;
  }

  private static Future<Object> submit(StewardNode node, String address, int i) {
    return node.vertx().eventBus().request(address, new JsonObject().put("type", "echo").put("restart", "transient")
      .put("payload", new JsonObject().put("i", i)), HERE).map(m -> m.body());
  }

  @Test
  void a_tasks_module_accepts_no_work_before_its_start_has_succeeded() throws Exception {
    try (TestCluster cluster = TestCluster.create(StartingModuleTest.class, 1)) {
      StewardNode node = cluster.start(List.of("http")).await(90, TimeUnit.SECONDS);
      Promise<Void> held = Promise.promise();
      TasksVerticle.startStep = held::future;
      Future<String> start = StewardNode.availableModules().get("tasks").deploy(node.vertx(), node.config().section("tasks"));

      // Until the submit consumer is there (no handler before), then a few more while the start is held.
      List<Future<Object>> answers = new ArrayList<>();
      Poll.until(node.vertx(), "the submit consumer registered", 30_000, () -> {
        Future<Object> a = submit(node, Addresses.Tasks.SUBMIT, answers.size());
        answers.add(a);
        return a.transform(ar -> Future.succeededFuture(ar.succeeded() || !(ar.cause() instanceof ReplyException r)
          || r.failureType() != io.vertx.core.eventbus.ReplyFailure.NO_HANDLERS));
      }).await(40, TimeUnit.SECONDS);
      answers.add(submit(node, Addresses.Tasks.SUBMIT, answers.size()));
      answers.add(submit(node, Addresses.Tasks.RUN, answers.size()));
      Future.join(new ArrayList<>(answers)).transform(ar -> Future.succeededFuture()).await(20, TimeUnit.SECONDS);
      assertThat(start.isComplete()).isFalse();
      held.fail(new IllegalStateException("a start step failed (test)"));
      assertThat(start.transform(ar -> Future.succeededFuture(ar.failed())).await(30, TimeUnit.SECONDS))
        .as("the start failed").isTrue();

      List<String> accepted = new ArrayList<>();
      for (Future<Object> a : answers) {
        if (a.succeeded()) {
          accepted.add(String.valueOf(a.result()));
        } else if (a.cause() instanceof ReplyException r && r.failureType() != io.vertx.core.eventbus.ReplyFailure.NO_HANDLERS) {
          assertThat(r.failureCode()).as(r.getMessage()).isEqualTo(503);
          assertThat(r.getMessage()).contains("starting");
        }
      }
      assertThat(accepted).as("work accepted by a start that then failed (%s requests)", answers.size()).isEmpty();

      // The next start succeeds, and takes work.
      TasksVerticle.startStep = null;
      StewardNode.availableModules().get("tasks").deploy(node.vertx(), node.config().section("tasks"))
        .await(60, TimeUnit.SECONDS);
      JsonObject done = (JsonObject) submit(node, Addresses.Tasks.RUN, -1).await(20, TimeUnit.SECONDS);
      assertThat(done.getString("state")).as("%s", done).isEqualTo("succeeded");
    }
  }
}
