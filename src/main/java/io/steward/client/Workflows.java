package io.steward.client;

import io.vertx.core.Future;
import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;

import java.util.ArrayList;
import java.util.List;
import java.util.UUID;

/**
 * Workflows (docs/workflows.md), from any node: {@code client.workflows()}. The cluster must run the
 * {@code workflows} module (else 503).
 */
public final class Workflows {

  static final String SUBMIT = "steward.workflows.submit";
  static final String GET = "steward.workflows.get";
  static final String LIST = "steward.workflows.list";
  static final String CANCEL = "steward.workflows.cancel";
  static final String RETRY = "steward.workflows.retry";

  private final Bus bus;

  Workflows(Bus bus) {
    this.bus = bus;
  }

  /**
   * Submits and answers once the workflow is recorded; with a key bound to a workflow already, that workflow's id
   * ({@link Submitted#existing()}). With a {@link Retry}, a request without a key gets one of the client's making, so
   * that sending it again cannot start a second workflow.
   */
  public Future<Submitted> submit(WorkflowRequest workflow) {
    JsonObject body = workflow.toJson();
    if (bus.retry != null && workflow.key() == null) {
      body.put("key", "client-" + UUID.randomUUID());
    }
    return bus.request(SUBMIT, body, bus.retry != null || workflow.key() != null)
      .map(o -> new Submitted(o.getString("id"), o.getBoolean("existing", false)));
  }

  public Future<Workflow> get(String id) {
    return bus.request(GET, new JsonObject().put("id", id), true).map(Workflow::from);
  }

  /** The newest workflows first (summaries: each step's state only); {@code state} and {@code name} may be null. */
  public Future<List<Workflow>> list(String state, String name, int limit) {
    JsonObject q = new JsonObject().put("limit", limit);
    if (state != null) {
      q.put("state", state);
    }
    if (name != null) {
      q.put("name", name);
    }
    return bus.request(LIST, q, true).map(o -> {
      List<Workflow> out = new ArrayList<>();
      JsonArray a = o.getJsonArray("workflows", new JsonArray());
      for (int i = 0; i < a.size(); i++) {
        out.add(Workflow.from(a.getJsonObject(i)));
      }
      return List.copyOf(out);
    });
  }

  /** Cancels a running workflow (its running step tasks too): the cancelled workflow; 409 once it ended. */
  public Future<Workflow> cancel(String id) {
    return bus.request(CANCEL, new JsonObject().put("id", id), true).map(Workflow::from);
  }

  /** Runs a failed or cancelled workflow again from where it stopped: the workflow, running; 409 otherwise. */
  public Future<Workflow> retry(String id) {
    return bus.request(RETRY, new JsonObject().put("id", id), true).map(Workflow::from);
  }
}
