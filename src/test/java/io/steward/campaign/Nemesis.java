package io.steward.campaign;

import io.steward.testing.NodeProcess;
import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.Semaphore;
import java.util.concurrent.TimeUnit;

/**
 * Injects the plan's faults at their times: SIGKILL then a restart, SIGSTOP then SIGCONT, partitions of any shape, a
 * node restarted with its wall clock moved (libfaketime) and restarted again with the true one, a rolling restart,
 * {@code tc netem} delay and loss on the links of one node or all, the store's database cut off (its proxy).
 * Each fault is recorded as {@code fault.start} when it begins and {@code fault.end} once it is undone (for a kill:
 * once the restarted node answers /health). At most one node is down (killed or paused) at a time and one partition
 * holds at a time, whatever the timing: a fault whose turn comes while another of its class still holds waits for it.
 * A fault this machine cannot make (a kernel without {@code sch_netem}; a store seed without PostgreSQL) is not
 * injected: it is recorded as {@code fault.skipped} with the reason and named on the seed's CAMPAIGN line.
 */
final class Nemesis implements AutoCloseable {

  static final Path LIBFAKETIME = Path.of("/usr/lib/x86_64-linux-gnu/faketime/libfaketime.so.1");

  private final CampaignCluster cluster;
  private final Recorder history;
  private final ScheduledExecutorService timer = Executors.newScheduledThreadPool(4, r -> {
    Thread t = new Thread(r, "campaign-nemesis");
    t.setDaemon(true);
    return t;
  });
  private final Semaphore down = new Semaphore(1);
  private final Semaphore partition = new Semaphore(1);
  private final Semaphore netem = new Semaphore(1);
  private final Semaphore outage = new Semaphore(1);
  private final CountDownLatch ended;
  private final Map<Integer, String> problems = new ConcurrentHashMap<>();
  private final Map<Integer, String> skipped = new ConcurrentHashMap<>();

  Nemesis(CampaignCluster cluster, Recorder history) {
    this.cluster = cluster;
    this.history = history;
    this.ended = new CountDownLatch(cluster.plan.faults().size());
  }

  void start() {
    for (Plan.Fault f : cluster.plan.faults()) {
      timer.schedule(() -> begin(f), f.atMs(), TimeUnit.MILLISECONDS);
    }
  }

  /** Waits until every fault has ended; false if {@code timeoutMs} passed first. */
  boolean awaitEnd(long timeoutMs) throws InterruptedException {
    return ended.await(timeoutMs, TimeUnit.MILLISECONDS);
  }

  /** Faults the nemesis could not inject or undo, with the reason (a harness problem, not an anomaly). */
  Map<Integer, String> problems() {
    return problems;
  }

  /** Faults not injected because this machine cannot make them, by kind (docs/campaign.md). */
  Map<Integer, String> skipped() {
    return skipped;
  }

  private void begin(Plan.Fault f) {
    Semaphore gate = switch (f.gate()) {
      case "down" -> down;
      case "netem" -> netem;
      case "db-outage" -> outage;
      default -> partition;
    };
    try {
      gate.acquire();
      JsonArray names = new JsonArray(f.nodes().stream().map(Plan::name).toList());
      JsonObject fault = new JsonObject().put("fault", Integer.toString(f.id())).put("kind", f.kind()).put("nodes", names).put("detail", f.detail());
      String cannot = f.kind().equals("db-outage") && cluster.proxy == null
        ? (cluster.storeSkipped != null ? cluster.storeSkipped : "the nodes run without a store") : null;
      if (cannot == null && f.kind().equals("netem")) {
        cannot = netemMissing(f);
      }
      if (cannot != null) {
        skipped.put(f.id(), f.kind());
        history.record("fault.skipped", fault.copy().put("reason", cannot));
        System.out.println("campaign: fault " + f.id() + " (" + f.kind() + ") not injected: " + cannot);
        gate.release();
        ended.countDown();
        return;
      }
      switch (f.kind()) {
        case "kill" -> {
          history.record("fault.start", fault);
          cluster.nodes.get(f.nodes().get(0)).kill();
        }
        case "pause" -> {
          history.record("fault.start", fault);
          cluster.nodes.get(f.nodes().get(0)).pause();
        }
        case "clock" -> {
          history.record("fault.start", fault);
          restart(f.nodes().get(0), faketime(f.skewMs()));
        }
        case "restart" -> {
          history.record("fault.start", fault);
          for (int i : f.nodes()) {
            restart(i, Map.of());
          }
        }
        case "netem" -> {
          history.record("fault.start", fault);
          for (int i : f.nodes()) {
            cluster.net.netem(i, f.netem().args());
          }
        }
        case "db-outage" -> {
          history.record("fault.start", fault);
          cluster.proxy.cut();
        }
        default -> {
          history.record("fault.start", fault);
          cluster.partition(f.sides(), true);
        }
      }
      timer.schedule(() -> end(f, fault, gate), f.kind().equals("restart") ? 0 : f.durationMs(), TimeUnit.MILLISECONDS);
    } catch (Exception e) {
      problems.put(f.id(), "could not start: " + e);
      gate.release();
      ended.countDown();
    }
  }

  private void end(Plan.Fault f, JsonObject fault, Semaphore gate) {
    try {
      int i = f.nodes().isEmpty() ? -1 : f.nodes().get(0);
      NodeProcess node = i < 0 ? null : cluster.nodes.get(i);
      switch (f.kind()) {
        case "kill" -> {
          node.start();
          cluster.up(i);
        }
        case "pause" -> node.resume();
        case "clock" -> restart(i, Map.of());
        case "restart" -> {
          // every node was restarted in begin()
        }
        case "netem" -> {
          for (int j : f.nodes()) {
            cluster.net.clearNetem(j);
          }
        }
        case "db-outage" -> cluster.proxy.restore();
        default -> cluster.partition(f.sides(), false);
      }
      history.record("fault.end", fault);
    } catch (Exception e) {
      problems.put(f.id(), "could not end: " + e);
      history.record("fault.end", fault.copy().put("detail", fault.getJsonObject("detail").copy().put("problem", e.toString())));
    } finally {
      gate.release();
      ended.countDown();
    }
  }

  /**
   * Null when netem can be put on the fault's first node (it is, and taken off again: a probe); else why not. Only a
   * kernel without {@code sch_netem} is a reason to skip; any other failure is the nemesis's problem.
   */
  private String netemMissing(Plan.Fault f) throws Exception {
    int i = f.nodes().get(0);
    try {
      cluster.net.netem(i, f.netem().args());
      cluster.net.clearNetem(i);
      return null;
    } catch (java.io.IOException e) {
      if (e.getMessage().contains("qdisc kind is unknown")) {
        return "this kernel has no sch_netem (CONFIG_NET_SCH_NETEM): " + e.getMessage();
      }
      throw e;
    }
  }

  /** Stops node {@code i} cleanly (SIGTERM; SIGKILL after 60 s), starts it with {@code env} and waits until it is up. */
  private void restart(int i, Map<String, String> env) throws Exception {
    NodeProcess node = cluster.nodes.get(i);
    node.sigterm();
    if (node.awaitExit(60_000) == -1) {
      node.kill();
    }
    node.start(env);
    cluster.up(i);
  }

  /**
   * The environment that starts a JVM with its wall clock moved by {@code skewMs} (libfaketime's preload library
   * directly, as {@code ClockSkewIT} does: the {@code faketime} wrapper forks, and a signal must reach the JVM).
   */
  static Map<String, String> faketime(long skewMs) {
    if (!Files.isRegularFile(LIBFAKETIME)) {
      throw new IllegalStateException("libfaketime is not installed (apt-get install faketime): " + LIBFAKETIME);
    }
    return Map.of("LD_PRELOAD", LIBFAKETIME.toString(), "FAKETIME", (skewMs >= 0 ? "+" : "-") + Math.abs(skewMs) / 1_000 + "s");
  }

  /** Undoes whatever still holds (after a timeout): resumes every node, heals every link. */
  @Override
  public void close() {
    timer.shutdownNow();
    for (NodeProcess n : cluster.nodes) {
      try {
        if (n.isAlive()) {
          n.resume();
        }
      } catch (Exception ignored) {
        // best effort
      }
    }
    if (cluster.proxy != null) {
      try {
        cluster.proxy.restore();
      } catch (Exception ignored) {
        // best effort
      }
    }
    for (Plan.Fault f : cluster.plan.faults()) {
      if (f.kind().equals("netem")) {
        for (int i : f.nodes()) {
          try {
            cluster.net.clearNetem(i);
          } catch (Exception ignored) {
            // none there
          }
        }
      }
      if (f.sides() != null) {
        try {
          cluster.partition(f.sides(), false);
        } catch (Exception ignored) {
          // not blocked (already healed)
        }
      }
    }
  }
}
