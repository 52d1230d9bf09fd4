package io.steward.client;

import io.vertx.core.Future;
import io.vertx.core.json.JsonObject;

import java.time.Duration;

/** Fan-out / fan-in (docs/fanout.md): {@code client.fanout()}. */
public final class Fanout {

  static final String RUN = "steward.fanout.run";
  static final String GATHER = "steward.fanout.gather";
  /** The nodes' default {@code fanout.defaultDeadlineMs}, and the margin a caller waits beyond a deadline. */
  private static final long DEFAULT_DEADLINE_MS = 25_000;
  private static final long MARGIN_MS = 5_000;

  private final Bus bus;

  Fanout(Bus bus) {
    this.bus = bus;
  }

  /**
   * Runs a fan-out; the answer says what each item did (a failed item does not fail the future). Never retried
   * by a {@link Retry}: the items would be sent again.
   */
  public Future<FanoutResult> run(FanoutRequest request) {
    long wait = Math.max(bus.timeoutMs, request.deadlineMs(DEFAULT_DEADLINE_MS) + MARGIN_MS);
    return bus.request(RUN, request.toJson(), wait, false).map(FanoutResult::from);
  }

  /** Asks every node its {@code verb} ({@code info}, {@code health}, …). */
  public Future<GatherResult> gather(String verb) {
    return gather(verb, null, null, null);
  }

  /**
   * Asks every node running {@code module} (null: every node) its {@code verb} with {@code body} (null: {@code {}}),
   * each given {@code timeout} (null: the nodes' default) to answer.
   */
  public Future<GatherResult> gather(String verb, String module, JsonObject body, Duration timeout) {
    JsonObject q = new JsonObject().put("verb", verb);
    if (module != null) {
      q.put("module", module);
    }
    if (body != null) {
      q.put("body", body);
    }
    long wait = bus.timeoutMs;
    if (timeout != null) {
      q.put("timeoutMs", timeout.toMillis());
      wait = Math.max(wait, timeout.toMillis() + MARGIN_MS);
    }
    return bus.request(GATHER, q, wait, true).map(GatherResult::from);
  }
}
