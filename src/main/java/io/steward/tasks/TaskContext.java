package io.steward.tasks;

import io.vertx.core.Vertx;

/** What a running attempt knows about its task. */
public interface TaskContext {

  String id();

  String type();

  String supervisor();

  /** 1 for the first attempt, 2 after the first restart, and so on (across nodes, for durable tasks). */
  int attempt();

  /** The payload as submitted: any JSON value, or null. */
  Object payload();

  /** The node's Vert.x, to talk to the event bus (its methods are safe to call from this thread). */
  Vertx vertx();

  /** The id of the node running this attempt. */
  String node();

  /** True once the attempt timed out or was cancelled: stop as soon as you can. */
  boolean abandoned();
}
