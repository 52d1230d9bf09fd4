package io.steward.bus;

import io.micrometer.core.instrument.Counter;
import io.steward.observe.Metrics;
import io.vertx.core.Future;
import io.vertx.core.Vertx;
import io.vertx.core.buffer.Buffer;
import io.vertx.core.eventbus.ReplyException;
import io.vertx.core.json.JsonObject;
import io.vertx.junit5.VertxExtension;
import io.vertx.junit5.VertxTestContext;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;

import static org.assertj.core.api.Assertions.assertThat;

@ExtendWith(VertxExtension.class)
class EndpointTest {

  private static final String ADDRESS = "steward.test.echo";

  @BeforeEach
  void register(Vertx vertx, VertxTestContext ctx) {
    Endpoint.consumer(vertx, ADDRESS, msg -> {
      Fields f = Fields.of(msg.body());
      String say = f.string("say");
      long delay = f.longValue("delayMs", 0, 0, 1_000);
      f.done();
      if (say.equals("explode")) {
        throw new IllegalStateException("kaboom");
      }
      if (say.equals("partitioned")) {
        throw new java.util.concurrent.CompletionException(
          new com.hazelcast.splitbrainprotection.SplitBrainProtectionException("steward-minimum-size has failed!"));
      }
      if (say.equals("unacknowledged")) {
        throw new java.util.concurrent.CompletionException(
          new com.hazelcast.core.IndeterminateOperationStateException("Invocation{...} failed because backup acks missed."));
      }
      if (say.equals("member-left")) {
        throw new java.util.concurrent.CompletionException(new com.hazelcast.core.MemberLeftException("member left"));
      }
      if (say.equals("migrating")) {
        throw new java.util.concurrent.CompletionException(
          new com.hazelcast.spi.exception.PartitionMigratingException("Partition is migrating! partitionId: 61"));
      }
      if (say.equals("wrong-target")) {
        throw new com.hazelcast.spi.exception.WrongTargetException("WrongTarget! this: a, target: b, partitionId: 61");
      }
      if (say.equals("timeout")) {
        throw new java.util.concurrent.CompletionException(
          new com.hazelcast.core.OperationTimeoutException("Invocation timed out"));
      }
      if (say.equals("leaving")) {
        throw new java.util.concurrent.CompletionException(
          new com.hazelcast.core.HazelcastInstanceNotActiveException());
      }
      if (say.equals("missing")) {
        throw StewardException.notFound("no such thing 'missing'");
      }
      JsonObject reply = new JsonObject().put("said", say);
      return delay == 0 ? reply : vertx.timer(delay).map(t -> reply);
    }).completion().onComplete(ctx.succeedingThenComplete());
  }

  private static void assertFailure(Throwable err, int code, String message) {
    assertThat(err).isInstanceOf(ReplyException.class);
    assertThat(((ReplyException) err).failureCode()).isEqualTo(code);
    assertThat(err.getMessage()).contains(message);
  }

  @Test
  void a_valid_request_is_answered_synchronously_or_through_a_future(Vertx vertx, VertxTestContext ctx) {
    Future.all(
      vertx.eventBus().request(ADDRESS, new JsonObject().put("say", "hi")),
      vertx.eventBus().request(ADDRESS, new JsonObject().put("say", "later").put("delayMs", 10))
    ).onComplete(ctx.succeeding(all -> ctx.verify(() -> {
      assertThat(((io.vertx.core.eventbus.Message<?>) all.resultAt(0)).body()).isEqualTo(new JsonObject().put("said", "hi"));
      assertThat(((io.vertx.core.eventbus.Message<?>) all.resultAt(1)).body()).isEqualTo(new JsonObject().put("said", "later"));
      ctx.completeNow();
    })));
  }

  @Test
  void non_json_bodies_get_400_not_an_exception(Vertx vertx, VertxTestContext ctx) {
    Future.join(
      vertx.eventBus().request(ADDRESS, "not json").recover(err -> check(err, 400, "body: a JSON object is required")),
      vertx.eventBus().request(ADDRESS, "{\"say\": ").recover(err -> check(err, 400, "body: malformed JSON")),
      vertx.eventBus().request(ADDRESS, 12).recover(err -> check(err, 400, "got a number")),
      vertx.eventBus().request(ADDRESS, Buffer.buffer(new byte[]{1, 2, 3})).recover(err -> check(err, 400, "body:")),
      vertx.eventBus().request(ADDRESS, null).recover(err -> check(err, 400, "got nothing")),
      vertx.eventBus().request(ADDRESS, new JsonObject().put("say", "x").put("extra", 1)).recover(err -> check(err, 400, "extra: unknown field")),
      vertx.eventBus().request(ADDRESS, new JsonObject().put("say", "x").put("version", 9)).recover(err -> check(err, 400, "version: unsupported"))
    ).onComplete(ctx.succeedingThenComplete());
  }

  private static Future<io.vertx.core.eventbus.Message<Object>> check(Throwable err, int code, String message) {
    try {
      assertFailure(err, code, message);
      return Future.succeededFuture();
    } catch (AssertionError e) {
      return Future.failedFuture(e);
    }
  }

  @Test
  void steward_failures_keep_their_code_and_bugs_become_500(Vertx vertx, VertxTestContext ctx) {
    Future.join(
      vertx.eventBus().request(ADDRESS, new JsonObject().put("say", "missing")).recover(err -> check(err, 404, "no such thing")),
      vertx.eventBus().request(ADDRESS, new JsonObject().put("say", "explode")).recover(err -> check(err, 500, "handler failed: IllegalStateException: kaboom"))
    ).onComplete(ctx.succeedingThenComplete());
  }

  @Test
  void a_split_brain_protection_refusal_is_a_503_not_a_bug(Vertx vertx, VertxTestContext ctx) {
    vertx.eventBus().request(ADDRESS, new JsonObject().put("say", "partitioned"))
      .recover(err -> check(err, 503, "fewer members than cluster.minimumSize"))
      .onComplete(ctx.succeedingThenComplete());
  }

  /**
   * Campaign seed 1000: Hazelcast's IndeterminateOperationStateException (a backup that never acknowledged) is not an
   * IndeterminateOperationState (only MemberLeftException is), and was answered 500 with an ERROR line.
   */
  @Test
  void an_unacknowledged_backup_or_a_member_that_left_mid_call_is_a_504(Vertx vertx, VertxTestContext ctx) {
    Future.all(
      vertx.eventBus().request(ADDRESS, new JsonObject().put("say", "unacknowledged"))
        .recover(err -> check(err, 504, "outcome is unknown")),
      vertx.eventBus().request(ADDRESS, new JsonObject().put("say", "member-left"))
        .recover(err -> check(err, 504, "outcome is unknown"))
    ).onComplete(ctx.succeedingThenComplete());
  }

  /**
   * Campaign seeds 1036, 1040, 1047: Hazelcast's PartitionMigratingException, WrongTargetException (not applied) and
   * OperationTimeoutException (unknown) reached the endpoint as unexpected 500s with an ERROR line.
   */
  @Test
  void moving_partitions_are_a_503_and_a_timed_out_call_a_504(Vertx vertx, VertxTestContext ctx) {
    Future.all(
      vertx.eventBus().request(ADDRESS, new JsonObject().put("say", "migrating"))
        .recover(err -> check(err, 503, "nothing was applied")),
      vertx.eventBus().request(ADDRESS, new JsonObject().put("say", "wrong-target"))
        .recover(err -> check(err, 503, "nothing was applied")),
      vertx.eventBus().request(ADDRESS, new JsonObject().put("say", "timeout"))
        .recover(err -> check(err, 504, "outcome is unknown"))
    ).onComplete(ctx.succeedingThenComplete());
  }

  /** Campaign seed 2106: a submit handled while the node's Hazelcast member shut down was a 500 with an ERROR line. */
  @Test
  void a_request_that_meets_the_node_s_member_shutting_down_is_a_504(Vertx vertx, VertxTestContext ctx) {
    vertx.eventBus().request(ADDRESS, new JsonObject().put("say", "leaving"))
      .recover(err -> check(err, 504, "shutting down"))
      .onComplete(ctx.succeedingThenComplete());
  }

  @Test
  void a_refused_fire_and_forget_send_is_counted(Vertx vertx, VertxTestContext ctx) {
    vertx.eventBus().send(ADDRESS, new JsonObject().put("nope", true));
    vertx.eventBus().send(ADDRESS, "garbage");
    // A request after the sends is answered after them (same consumer, in order).
    vertx.eventBus().request(ADDRESS, new JsonObject().put("say", "done")).onComplete(ctx.succeeding(r -> ctx.verify(() -> {
      Counter c = Metrics.registry(vertx).find("steward_bus_rejected").tag("address", ADDRESS).tag("code", "400").counter();
      assertThat(c).isNotNull();
      assertThat(c.count()).isEqualTo(2.0);
      ctx.completeNow();
    })));
  }
}
