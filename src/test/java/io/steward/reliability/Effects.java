package io.steward.reliability;

import io.steward.tasks.builtin.BusTask;
import io.vertx.core.Future;
import io.vertx.core.Vertx;
import io.vertx.core.eventbus.Message;
import io.vertx.core.json.JsonObject;

import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.ThreadLocalRandom;
import java.util.concurrent.atomic.AtomicLong;
import java.util.stream.Collectors;

/**
 * The side effect of a {@code bus} task, counted in the test JVM: a consumer that records each request by
 * the task id and attempt the task sends in its headers, and answers after a random delay (so attempts are
 * mid-flight when a node dies). A task counted twice ran its effect twice.
 */
final class Effects {

  /** One request the consumer got: which task, which attempt, when. */
  record Effect(String task, int attempt, long at) {
  }

  final String address;
  private final Vertx vertx;
  private final long maxDelayMs;
  private final Map<String, List<Effect>> byTask = new ConcurrentHashMap<>();
  private final AtomicLong total = new AtomicLong();
  private final AtomicLong unanswered = new AtomicLong();

  private Effects(Vertx vertx, String address, long maxDelayMs) {
    this.vertx = vertx;
    this.address = address;
    this.maxDelayMs = maxDelayMs;
  }

  static Future<Effects> listen(Vertx vertx, String address, long maxDelayMs) {
    Effects effects = new Effects(vertx, address, maxDelayMs);
    return vertx.eventBus().<Object>consumer(address, effects::handle).completion().map(v -> effects);
  }

  private void handle(Message<Object> m) {
    String task = m.headers().get(BusTask.TASK_ID_HEADER);
    int attempt = Integer.parseInt(m.headers().get(BusTask.ATTEMPT_HEADER));
    byTask.computeIfAbsent(task, t -> new CopyOnWriteArrayList<>()).add(new Effect(task, attempt, System.currentTimeMillis()));
    total.incrementAndGet();
    long delay = maxDelayMs <= 0 ? 0 : ThreadLocalRandom.current().nextLong(maxDelayMs + 1);
    unanswered.incrementAndGet();
    JsonObject reply = new JsonObject().put("task", task).put("attempt", attempt);
    if (delay == 0) {
      unanswered.decrementAndGet();
      m.reply(reply);
    } else {
      vertx.setTimer(delay, t -> {
        unanswered.decrementAndGet();
        m.reply(reply); // to a node that died meanwhile: goes nowhere, as any reply would
      });
    }
  }

  long total() {
    return total.get();
  }

  /** Distinct tasks whose effect happened at least once. */
  int tasks() {
    return byTask.size();
  }

  List<Effect> of(String task) {
    return byTask.getOrDefault(task, List.of());
  }

  /** Tasks whose effect happened more than once. */
  Set<String> duplicated() {
    return byTask.entrySet().stream().filter(e -> e.getValue().size() > 1).map(Map.Entry::getKey).collect(Collectors.toSet());
  }

  int maxPerTask() {
    return byTask.values().stream().mapToInt(List::size).max().orElse(0);
  }

  Set<String> taskIds() {
    return byTask.keySet();
  }
}
