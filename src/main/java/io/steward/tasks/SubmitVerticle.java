package io.steward.tasks;

import io.steward.bus.Addresses;
import io.steward.bus.Door;
import io.steward.bus.Endpoint;
import io.vertx.core.Future;
import io.vertx.core.VerticleBase;
import io.vertx.core.Vertx;
import io.vertx.core.eventbus.Message;
import io.vertx.core.eventbus.MessageConsumer;

import java.util.List;

/**
 * The two busiest addresses, {@code steward.tasks.submit} and {@code steward.tasks.run}, on one more event
 * loop: a node takes submits on {@code tasks.submitInstances} event loops (the tasks verticle's and these),
 * which Vert.x serves in turn, so accepting tasks is not bound to one thread. Everything they touch is shared and thread-safe; what must be
 * ordered (timers, Hazelcast completions) goes on to the tasks verticle's event loop.
 */
final class SubmitVerticle extends VerticleBase {

  private final TasksConfig config;
  private final Submissions submissions;

  SubmitVerticle(TasksConfig config, Submissions submissions) {
    this.config = config;
    this.submissions = submissions;
  }

  @Override
  public Future<?> start() {
    return Future.all(consumers(vertx, config, submissions).stream().map(MessageConsumer::completion).toList());
  }

  /** The submit and run consumers, on the calling verticle's event loop. */
  static List<MessageConsumer<Object>> consumers(Vertx vertx, TasksConfig config, Submissions submissions) {
    return List.of(
      Endpoint.consumer(vertx, Addresses.Tasks.SUBMIT, msg -> submissions.submit(spec(config, msg),
        msg.replyAddress() != null)),
      Endpoint.consumer(vertx, Addresses.Tasks.RUN, msg -> submissions.run(spec(config, msg))
        .compose(Replies::outcome)));
  }

  /** The spec of a request; one that came through a door has its targets checked and keeps the door. */
  private static TaskSpec spec(TasksConfig config, Message<Object> msg) {
    TaskSpec spec = TaskSpec.parse(msg.body(), config.maxRestarts(), config.withinMs());
    Door door = Door.from(msg.headers());
    TaskType type = door == null ? null : TaskTypes.get(spec.type());
    return type == null ? spec : spec.withPayload(type.throughDoor(spec.payload(), door));
  }
}
