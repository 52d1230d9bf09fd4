package io.steward.tasks;

import io.vertx.core.Context;
import io.steward.spi.VertxInternals;
import io.netty.util.concurrent.FastThreadLocal;
import io.steward.observe.RateLimitedLog;
import io.vertx.core.Vertx;
import io.vertx.core.json.JsonObject;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.time.Clock;
import java.util.ArrayList;
import java.util.IdentityHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.RejectedExecutionException;
import java.util.function.BiConsumer;
import java.util.function.Consumer;

/**
 * How pending attempts reach a supervisor's workers. Temporary ones go at once (gathered per turn of the event
 * loop). Durable ones pass a gate: at most {@code workers + dispatchAhead} are dispatched at a time, each first
 * recorded as running in Hazelcast, so a survivor knows which may have had effects. While a supervisor is paused
 * none passes the gate; the temporary ones wait in its workers' queue.
 */
final class Dispatcher {

  private static final Logger LOG = LoggerFactory.getLogger(Dispatcher.class);
  private static final RateLimitedLog WARNINGS = new RateLimitedLog(LOG, 10_000);
  private static final long RETRY_MS = 1_000;

  private final Vertx vertx;
  private final Context context;
  private final Mailbox mailbox;
  private final TaskStore store;
  private final String nodeId;
  private final Clock clock;
  private final Runner runner;
  private final Consumer<Attempt> notRun;
  private final BiConsumer<TaskRecord, String> takenOver;
  private volatile boolean stopping;
  private final FastThreadLocal<Outbox> outbox = new FastThreadLocal<>() {
    @Override
    protected Outbox initialValue() {
      return new Outbox();
    }
  };

  /**
   * @param notRun told about an attempt the workers refused (they are stopped)
   * @param takenOver told about a task whose running record could not be written because another node (the second
   *                  argument) took it over while this one was cut off from the cluster: it must not run here
   */
  Dispatcher(Vertx vertx, Context context, Mailbox mailbox, TaskStore store, String nodeId, Clock clock,
             Runner runner, Consumer<Attempt> notRun, BiConsumer<TaskRecord, String> takenOver) {
    this.takenOver = takenOver;
    this.clock = clock;
    this.vertx = vertx;
    this.context = context;
    this.mailbox = mailbox;
    this.store = store;
    this.nodeId = nodeId;
    this.runner = runner;
    this.notRun = notRun;
  }

  /** No new durable attempts start; what is dispatched carries on. */
  void stop() {
    stopping = true;
  }

  /** Hands a pending task to its workers (durable ones through the dispatch gate). Any thread. */
  void dispatch(TaskRecord r) {
    Attempt a = r.nextAttempt(runner);
    if (a == null) {
      return; // not pending (cancelled)
    }
    r.supervisor.stamp(r);
    ClusterLimiter limiter = r.supervisor.limiter;
    if (limiter != null) {
      limiter.offer(a); // it comes back to proceed once it holds its slot
      return;
    }
    proceed(a);
  }

  /** An attempt that holds its slot of its supervisor's cluster limit, or needs none, goes on to the workers. */
  void proceed(Attempt a) {
    TaskRecord r = a.record;
    if (!r.durable()) {
      execute(r, a);
      return;
    }
    r.supervisor.queueDurable(r);
    onContext(() -> pump(r.supervisor));
  }

  /**
   * Hands an attempt to the workers. On an event loop (the submit consumers run on several), attempts are
   * gathered for the rest of its current turn (the messages already waiting) and handed over together, which
   * spares most wake-ups under load.
   */
  private void execute(TaskRecord r, Attempt a) {
    Context here = Vertx.currentContext();
    if (here == null || !here.isEventLoopContext() || !VertxInternals.onEventLoopOf(here)) {
      try {
        r.supervisor.workers.execute(a);
      } catch (RejectedExecutionException e) {
        notRun(a);
      }
      return;
    }
    Outbox box = outbox.get();
    box.attempts.add(a);
    if (!box.scheduled) {
      box.scheduled = true;
      here.runOnContext(v -> flush(box));
    }
  }

  /** Attempts one event-loop thread gathered during its current turn. */
  private static final class Outbox {
    final List<Attempt> attempts = new ArrayList<>();
    boolean scheduled;
  }

  private void flush(Outbox box) {
    box.scheduled = false;
    Map<Supervisor, List<Attempt>> bySupervisor = new IdentityHashMap<>(2);
    for (Attempt a : box.attempts) {
      bySupervisor.computeIfAbsent(a.record.supervisor, s -> new ArrayList<>()).add(a);
    }
    box.attempts.clear();
    bySupervisor.forEach((sup, batch) -> {
      try {
        sup.workers.executeAll(batch);
      } catch (RejectedExecutionException e) {
        batch.forEach(this::notRun);
      }
    });
  }

  private void notRun(Attempt a) {
    a.releaseLimit();
    releasePermit(a);
    notRun.accept(a);
  }

  /** Takes a dispatch permit for a pending durable task if one is free and none waits before it; else null. */
  Attempt reserve(TaskRecord r) {
    Supervisor sup = r.supervisor;
    // paused: its first record says pending, and it waits in the durable queue; a limited one waits for its slot first
    if (stopping || sup.paused() || sup.limiter != null || !sup.tryTakeDispatchPermit()) {
      return null;
    }
    Attempt a = r.nextAttempt(runner);
    if (a == null) { // not pending any more: the permit goes back
      sup.giveDispatchPermitBack();
      return null;
    }
    a.takePermit();
    sup.stamp(r);
    return a;
  }

  /** The supervisor was resumed: its durable queue moves again (its workers were signalled). Any thread. */
  void resumed(Supervisor sup) {
    onContext(() -> pump(sup));
  }

  JsonObject runningRecord(TaskRecord r, Attempt a) {
    synchronized (r) {
      return r.toJson().put("state", TaskState.RUNNING.wire()).put("attempts", a.number)
        .put("startedAt", clock.millis()).put("node", nodeId);
    }
  }

  /** Its running record is written: hand the attempt to a worker, unless it was cancelled meanwhile. */
  void go(TaskRecord r, Attempt a) {
    if (r.awaits(a)) {
      execute(r, a);
    } else {
      a.releaseLimit();
      releasePermit(a);
    }
  }

  /**
   * Dispatches waiting durable tasks while the window has room: each is first recorded as running (with its
   * attempt number) in Hazelcast, then handed to a worker; unless the record names another node, which took the
   * task over while this one was cut off from the cluster (then it is dropped here). On the event loop.
   */
  private void pump(Supervisor sup) {
    // Paused: nothing more is recorded as running (a survivor would report it as a possible duplicate)
    while (!stopping && !sup.paused() && sup.dispatchRoom()) {
      TaskRecord r = sup.nextDurable();
      if (r == null) {
        return;
      }
      Attempt a = r.pendingAttempt();
      if (a == null) {
        continue; // cancelled while it waited
      }
      sup.takeDispatchPermit();
      a.takePermit();
      store.putLive(r.id(), runningRecord(r, a), nodeId).onComplete(ar -> {
        if (ar.succeeded() && ar.result() != null) {
          a.releaseLimit();
          releasePermit(a);
          takenOver.accept(r, ar.result()); // the record is another node's now: it runs the task, this one must not
          return;
        }
        if (ar.failed()) {
          releasePermit(a);
          // Not started, so no duplicate to report: the next try's write, made with the same owner check, is refused
          // if another node took the task over meanwhile (then it is dropped here), else the attempt runs once. Marking
          // it possibleDuplicate here reported the tasks whose record's owner died mid-write (KillDuringTasksIT: 50
          // reports, over the documented bound workers + dispatchAhead).
          WARNINGS.warn("start-record", "Could not record the start of durable task " + r.id() + " in the cluster ("
            + ar.cause().getMessage() + "); it was not started, retrying in " + RETRY_MS + " ms. Check the cluster's "
            + "health (/health).");
          vertx.setTimer(RETRY_MS, t -> {
            sup.queueDurable(r);
            pump(sup);
          });
          return;
        }
        go(r, a);
      });
    }
  }

  /** Gives an attempt's durable dispatch permit back (once) and lets the next durable task through. */
  void releasePermit(Attempt a) {
    if (a.releasePermit()) {
      Supervisor sup = a.record.supervisor;
      sup.giveDispatchPermitBack();
      if (sup.durableWaiting()) {
        onContext(() -> pump(sup));
      }
    }
  }

  /** Runs now if on the verticle's event loop, else there. */
  private void onContext(Runnable action) {
    if (VertxInternals.isRunningOnContext(context)) {
      action.run();
    } else {
      mailbox.post(action);
    }
  }
}
