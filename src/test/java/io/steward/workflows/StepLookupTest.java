package io.steward.workflows;

import io.steward.bus.Addresses;
import io.steward.node.StewardNode;
import io.steward.testing.Poll;
import io.steward.testing.TestCluster;
import io.vertx.core.Future;
import io.vertx.core.eventbus.DeliveryOptions;
import io.vertx.core.eventbus.Message;
import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * Found while trimming CI (WorkflowsTest's terminated-member case spent 10.8 of its 18 s waiting): the workflow
 * engine looked its step tasks up with a plain request on {@code steward.tasks.get}, which every tasks node answers,
 * and the event bus takes the answerers in turn; for a moment after a node dies its consumer is still among them, and
 * a lookup sent there waited the engine's whole call timeout (10 s) while the workflow stood still. The engine runs
 * beside a tasks module: it asks that one, and another node only when this node has none.
 */
class StepLookupTest {

  private TestCluster cluster;

  @AfterEach
  void stop() throws Exception {
    cluster.close();
  }

  @Test
  void the_engine_looks_its_steps_up_on_its_own_node_and_not_on_a_node_that_may_be_gone() throws Exception {
    cluster = TestCluster.create(StepLookupTest.class, 2);
    JsonObject extra = new JsonObject().put("workflows", new JsonObject().put("sweepMs", 100));
    StewardNode a = cluster.start(List.of("tasks", "workflows"), extra).await(60, TimeUnit.SECONDS);
    StewardNode b = cluster.start(List.of(), extra).await(60, TimeUnit.SECONDS);
    // On b, a consumer of the tasks lookups that never answers: what a dead node's subscription is to the bus.
    AtomicInteger silent = new AtomicInteger();
    b.vertx().eventBus().consumer(Addresses.Tasks.GET, m -> silent.incrementAndGet()).completion()
      .await(10, TimeUnit.SECONDS);
    // Every lookup a sends (its sweeps look the running step up every 100 ms).
    AtomicInteger sent = new AtomicInteger();
    a.vertx().eventBus().addOutboundInterceptor(ctx -> {
      if (Addresses.Tasks.GET.equals(ctx.message().address())) {
        sent.incrementAndGet();
      }
      ctx.next();
    });
    // The step is held until a has sent a few lookups.
    List<Message<Object>> held = new ArrayList<>();
    a.vertx().eventBus().consumer("lookuptest.step", m -> {
      synchronized (held) {
        held.add(m);
      }
    }).completion().await(10, TimeUnit.SECONDS);

    JsonObject workflow = new JsonObject().put("name", "lookups").put("steps", new JsonArray()
      .add(new JsonObject().put("id", "A").put("address", "lookuptest.step").put("payload", new JsonObject())));
    String id = ((JsonObject) a.vertx().eventBus().request(Addresses.Workflows.SUBMIT, workflow,
      new DeliveryOptions().setLocalOnly(true).setSendTimeout(20_000)).await(30, TimeUnit.SECONDS).body()).getString("id");
    Poll.until(a.vertx(), "six lookups of the running step", 60_000, () -> Future.succeededFuture(sent.get() >= 6))
      .await(70, TimeUnit.SECONDS);
    synchronized (held) {
      held.forEach(m -> m.reply(new JsonObject().put("ok", true)));
    }
    assertThat(silent.get()).as("lookups sent to another node's consumer, of %s sent", sent.get()).isZero();
    Poll.until(a.vertx(), "workflow " + id + " succeeded", 60_000, () -> a.vertx().eventBus()
      .request(Addresses.Workflows.GET, new JsonObject().put("id", id), new DeliveryOptions().setLocalOnly(true))
      .map(m -> "succeeded".equals(((JsonObject) m.body()).getString("state")))).await(70, TimeUnit.SECONDS);
  }
}
