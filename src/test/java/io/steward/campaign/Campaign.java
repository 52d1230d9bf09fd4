package io.steward.campaign;

import io.steward.testing.NodeProcess;
import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeMap;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;
import java.util.stream.Collectors;
import java.util.stream.Stream;

/**
 * One seed of the fault campaign (docs/campaign.md): the plan from the seed, a cluster in network namespaces, the
 * workload and the nemesis together for the fault phase, then a quiet phase with every fault ended, the final reads,
 * and the checkers on the whole history. The history is written to {@code target/campaign/<seed>/history.jsonl};
 * a failing seed keeps it there with the node logs.
 */
final class Campaign {

  static final Path ROOT = Path.of(System.getProperty("campaign.dir", "target/campaign"));
  /** After the faults: the workload stops, jobs keep firing this long before the final reads. */
  static final long QUIET_MS = 8_000;

  /** What one seed gave: its CAMPAIGN line and whether it passed. */
  record Result(long seed, boolean passed, String line, Map<String, Integer> faultsByKind, long ops, int anomalies) {
  }

  private Campaign() {
  }

  static Result run(long seed, long faultPhaseMs, boolean keep) throws Exception {
    Plan plan = Plan.of(seed, faultPhaseMs);
    Path dir = ROOT.resolve(Long.toString(seed));
    deleteTree(dir);
    System.out.println("campaign seed=" + seed + " plan: " + plan.summary());
    List<String> harness = new ArrayList<>();
    Map<String, Integer> skipped = new TreeMap<>();
    History history;
    long ops;
    Path[] logs = {null};
    Recorder rec = new Recorder(dir.resolve("history.jsonl"));
    try (rec; Observer observer = new Observer(rec)) {
      JsonObject settings = new JsonObject().put("nodes", plan.nodes()).put("seed", seed).put("missedBoundMs", plan.missedBoundMs())
        .put("failureDetectionMs", plan.detectionSeconds() * 1_000L).put("faultPhaseMs", faultPhaseMs)
        .put("mergeWindowMs", plan.mergeWindowMs());
      if (plan.minimumSize() != null) {
        settings.put("minimumSize", plan.minimumSize());
      }
      if (plan.store() && CampaignCluster.postgres() != null) {
        settings.put("store", "postgres");
      }
      rec.record("settings", settings);
      try (CampaignCluster cluster = CampaignCluster.start(plan, rec, observer)) {
        logs[0] = cluster.nodes.get(0).log().getParent();
        try {
          if (cluster.storeSkipped != null) {
            skipped.merge("store", 1, Integer::sum);
            System.out.println("campaign seed=" + seed + ": runs without its store: " + cluster.storeSkipped);
          }
          phases(plan, cluster, rec, observer, harness, skipped);
        } catch (Exception | AssertionError e) {
          harness.add("the run stopped: " + e);
        }
      } catch (Exception | AssertionError e) {
        // the cluster did not start, or ProcessCluster.close found a blocked-thread warning of 5 s or more in a log
        harness.add(String.valueOf(e.getMessage()));
      }
      ops = rec.operations();
      history = rec.history();
    }
    List<Anomaly> anomalies = new ArrayList<>();
    for (Checker c : Checkers.all()) {
      try {
        anomalies.addAll(c.check(history));
      } catch (RuntimeException e) {
        anomalies.add(new Anomaly(c.name(), "the checker failed: " + e, new JsonObject()));
      }
    }
    DataLoss.Judged judged = DataLoss.judge(history, anomalies);
    anomalies = new ArrayList<>(judged.anomalies());
    for (String h : harness) {
      anomalies.add(new Anomaly("harness", h, new JsonObject()));
    }
    Map<String, Integer> byKind = new TreeMap<>();
    history.ofType("fault.start").forEach(e -> byKind.merge(e.getString("kind"), 1, Integer::sum));
    boolean passed = anomalies.isEmpty();
    String line = "CAMPAIGN seed=" + seed + " nodes=" + plan.nodes() + (plan.store() && !skipped.containsKey("store") ? " store=postgres" : "")
      + " faults=" + (byKind.isEmpty() ? "none"
      : byKind.entrySet().stream().map(e -> e.getKey() + ":" + e.getValue()).collect(Collectors.joining(",")))
      + (skipped.isEmpty() ? "" : " skipped=" + skipped.entrySet().stream().map(e -> e.getKey() + ":" + e.getValue())
        .collect(Collectors.joining(",")))
      + " ops=" + ops + (passed ? " PASS" : " FAIL: " + summary(anomalies)) + judged.note();
    System.out.println(line);
    Path latest = findLogs(logs[0]);
    if (!passed || keep || !judged.excused().isEmpty()) {
      if (latest != null) {
        copyLogs(latest, dir.resolve("logs"));
      }
      Files.writeString(dir.resolve("anomalies.txt"), anomalies.stream().map(Anomaly::toString).collect(Collectors.joining("\n")) + "\n"
        + judged.excused().stream().map(a -> "excused after data loss: " + a).collect(Collectors.joining("\n")));
      System.out.println("campaign seed=" + seed + ": history and node logs kept in " + dir.toAbsolutePath()
        + "; replay: mvn -B -o failsafe:integration-test failsafe:verify -Dit.test=CampaignIT -Dcampaign.seed=" + seed
        + " -Dcampaign.faultSeconds=" + faultPhaseMs / 1_000);
    } else {
      deleteTree(dir);
    }
    return new Result(seed, passed, line, byKind, ops, anomalies.size());
  }

  private static void phases(Plan plan, CampaignCluster cluster, Recorder rec, Observer observer, List<String> harness,
                             Map<String, Integer> skipped) throws Exception {
    Ops ops = new Ops(rec);
    List<NodeProcess> nodes = cluster.nodes;
    Set<String> jobs = new LinkedHashSet<>();
    for (Plan.Job job : plan.jobs()) {
      putJob(ops, nodes.get(0), job);
      jobs.add(job.name());
    }
    Workload workload = new Workload(plan, ops, nodes);
    ScheduledExecutorService deletes = Executors.newSingleThreadScheduledExecutor();
    try (Nemesis nemesis = new Nemesis(cluster, rec)) {
      workload.start();
      nemesis.start();
      int k = 0;
      for (Plan.Job job : plan.jobs()) {
        if (job.deleteAtMs() >= 0) {
          NodeProcess at = nodes.get(k++ % nodes.size());
          deletes.schedule(() -> deleteJob(ops, at, job.name()), job.deleteAtMs(), TimeUnit.MILLISECONDS);
        }
      }
      if (!nemesis.awaitEnd(plan.faultPhaseMs() + 300_000)) {
        harness.add("the faults did not all end within " + (plan.faultPhaseMs() + 300_000) / 1000 + " s");
      }
      nemesis.problems().forEach((id, what) -> harness.add("fault " + id + ": " + what));
      nemesis.skipped().forEach((id, kind) -> skipped.merge(kind, 1, Integer::sum));
    } finally {
      deletes.shutdown();
      deletes.awaitTermination(30, TimeUnit.SECONDS);
    }
    // the workload stops first (its calls in flight finish or time out), so that the quiet phase has no operations
    workload.stop();
    rec.record("quiet", new JsonObject());
    try {
      cluster.awaitWhole(180_000);
    } catch (Exception e) {
      // node.final records who is not whole; the checkers judge it. What each node's threads were doing goes beside
      // its log (seed 1013: a node stayed out of the cluster after a merge began, and nothing showed why).
      threadDumps(cluster.nodes);
    }
    long quietEnd = System.currentTimeMillis() + QUIET_MS;
    cluster.processes.await("the quiet phase (" + QUIET_MS + " ms)", QUIET_MS + 30_000, () -> System.currentTimeMillis() >= quietEnd);
    finalReads(cluster, rec, workload, jobs);
  }

  /** task.final, missed, job.list.final, cache.read.final, node.final, log.error (docs/campaign.md), read through HTTP. */
  private static void finalReads(CampaignCluster cluster, Recorder rec, Workload workload, Set<String> jobs) throws Exception {
    List<NodeProcess> nodes = cluster.nodes;
    NodeProcess reader = nodes.stream().filter(n -> n.get("/health").status() == 200).findFirst().orElse(nodes.get(0));

    // Every task, until it is final (bounded): durable ones may still be restarting.
    Set<String> ids = new LinkedHashSet<>();
    rec.ofType("task.submit.ok").forEach(e -> ids.add(e.getString("taskId")));
    // and every task that ran, acknowledged or not (a submit whose answer was lost may have been accepted)
    rec.ofType("task.effect").forEach(e -> ids.add(e.getString("taskId")));
    Map<String, JsonObject> finals = new ConcurrentHashMap<>();
    Map<String, Integer> unknown = new ConcurrentHashMap<>();
    long deadline = System.currentTimeMillis() + 90_000;
    cluster.processes.await("every acknowledged task final", 120_000, () -> {
      for (String id : ids) {
        if (!finals.containsKey(id)) {
          NodeProcess.Response r = reader.get("/tasks/" + id);
          if (r.status() == 404 && unknown.merge(id, 1, Integer::sum) >= 2) {
            // twice "unknown id": a temporary task whose record was on a node restarted since (records are per node)
            finals.put(id, new JsonObject().put("state", "unknown (404)"));
          } else if (r.status() == 200) {
            JsonObject t = r.json();
            String state = t.getString("state");
            if (!state.equals("pending") && !state.equals("running") && !state.equals("restarting")) {
              finals.put(id, t);
            }
          }
        }
      }
      return finals.size() == ids.size() || System.currentTimeMillis() > deadline;
    });
    for (String id : ids) {
      JsonObject t = finals.get(id);
      if (t == null) {
        NodeProcess.Response r = reader.get("/tasks/" + id);
        rec.record("task.final", new JsonObject().put("taskId", id)
          .put("state", r.status() == 200 ? r.json().getString("state") : "unknown (" + r.status() + ")").put("attempts", 0)
          .put("possibleDuplicate", false));
      } else {
        JsonObject fin = new JsonObject().put("taskId", id).put("state", t.getString("state"))
          .put("attempts", t.getInteger("attempts", 0)).put("possibleDuplicate", t.getBoolean("possibleDuplicate", false))
          .put("takeovers", t.getInteger("takeovers", 0));
        if (t.getValue("error") != null) {
          fin.put("error", abbreviate(String.valueOf(t.getValue("error"))));
        }
        rec.record("task.final", fin);
      }
    }

    rec.ofType("job.put.invoke").forEach(e -> jobs.add(e.getString("job")));
    for (String job : jobs) {
      NodeProcess.Response r = reader.get("/schedules/" + job + "/history?limit=1000");
      if (r.status() != 200) {
        continue;
      }
      List<JsonObject> runs = new ArrayList<>();
      r.json().getJsonArray("runs").forEach(o -> runs.add((JsonObject) o));
      runs.sort(Comparator.comparing(o -> o.getString("scheduledAt")));
      for (JsonObject run : runs) {
        String outcome = run.getBoolean("missed", false) ? "missed" : run.getString("outcome", "");
        if (outcome.equals("missed") || outcome.equals("skipped") || outcome.equals("failed")) {
          Object why = run.getValue(outcome.equals("failed") ? "error" : "detail");
          rec.record("missed", new JsonObject().put("job", job).put("tick", Instant.parse(run.getString("scheduledAt")).toEpochMilli())
            .put("reason", why == null ? "" : String.valueOf(why)).put("outcome", outcome));
        }
      }
    }

    // Every node's own list of jobs (its replica: what it would fire), page by page.
    for (NodeProcess n : nodes) {
      JsonArray names = new JsonArray();
      String after = null;
      boolean whole = true;
      do {
        NodeProcess.Response r = n.get("/schedules?limit=1000"
          + (after == null ? "" : "&after=" + java.net.URLEncoder.encode(after, java.nio.charset.StandardCharsets.UTF_8)));
        if (r.status() != 200) {
          whole = false;
          break;
        }
        r.json().getJsonArray("jobs").forEach(o -> names.add(((JsonObject) o).getString("name")));
        after = r.json().getString("next");
      } while (after != null);
      if (whole) {
        rec.record("job.list.final", new JsonObject().put("node", n.name()).put("jobs", names));
      }
    }

    for (String key : workload.cacheKeys()) {
      NodeProcess.Response r = reader.get("/caches/" + Workload.CACHE + "/" + key);
      JsonObject read = new JsonObject().put("cache", Workload.CACHE).put("key", key);
      if (r.status() == 200) {
        read.put("value", r.json().getValue("value"));
      } else if (r.status() != 404) {
        read.put("error", r.status());
      }
      rec.record("cache.read.final", read);
    }

    for (NodeProcess n : nodes) {
      rec.record("node.final", new JsonObject().put("node", n.name()).put("healthy", n.get("/health").status() == 200)
        .put("members", new JsonArray(CampaignCluster.ids(n))));
    }
    for (NodeProcess n : nodes) {
      n.logText().lines().filter(Campaign::isErrorLine).limit(50)
        .forEach(l -> rec.record("log.error", new JsonObject().put("node", n.name()).put("line", abbreviate(l))));
      n.logText().lines().filter(l -> l.contains(DataLoss.LINE)).limit(50)
        .forEach(l -> rec.record("log.loss", new JsonObject().put("node", n.name()).put("line", abbreviate(l))));
    }
  }

  /** {@code jcmd <pid> Thread.print} of each live node, written beside its log as {@code <log>.threads.txt}. */
  private static void threadDumps(List<NodeProcess> nodes) {
    for (NodeProcess n : nodes) {
      try {
        Path out = n.log().resolveSibling(n.log().getFileName() + ".threads.txt");
        String jcmd = Path.of(System.getProperty("java.home"), "bin", "jcmd").toString(); // the nodes run this JDK
        Process p = new ProcessBuilder(jcmd, Long.toString(n.pid()), "Thread.print").redirectErrorStream(true)
          .redirectOutput(out.toFile()).start();
        if (!p.waitFor(30, TimeUnit.SECONDS)) {
          p.destroyForcibly();
        }
      } catch (IOException | RuntimeException e) {
        System.out.println("campaign: no thread dump of " + n.name() + ": " + e);
      } catch (InterruptedException e) {
        Thread.currentThread().interrupt();
        return;
      }
    }
  }

  static void putJob(Ops ops, NodeProcess node, Plan.Job job) {
    JsonObject spec = new JsonObject().put("every", job.everyMs() + "ms")
      .put("runOn", job.mode().equals("every") ? "every-node" : "cluster-once")
      .put("overlap", job.overlap()).put("misfire", job.misfire())
      .put("action", new JsonObject().put("type", "publish").put("address", Observer.FIRES));
    ops.call("job.put", node, new JsonObject().put("job", job.name()).put("mode", job.mode()).put("everyMs", job.everyMs())
      .put("overlap", job.overlap()).put("misfire", job.misfire()), "PUT", "/schedules/" + job.name(), spec, a -> new JsonObject());
  }

  static void deleteJob(Ops ops, NodeProcess node, String job) {
    ops.call("job.delete", node, new JsonObject().put("job", job), "DELETE", "/schedules/" + job, null, a -> new JsonObject());
  }

  private static Path findLogs(Path logs) {
    return logs != null && Files.isDirectory(logs) ? logs : null;
  }

  private static void copyLogs(Path from, Path to) throws IOException {
    Files.createDirectories(to);
    try (Stream<Path> files = Files.list(from)) {
      for (Path f : files.filter(p -> p.toString().endsWith(".log") || p.toString().endsWith(".threads.txt")).toList()) {
        Files.copy(f, to.resolve(f.getFileName()), StandardCopyOption.REPLACE_EXISTING);
      }
    }
  }

  static void deleteTree(Path dir) throws IOException {
    if (!Files.exists(dir)) {
      return;
    }
    try (Stream<Path> all = Files.walk(dir)) {
      for (Path p : all.sorted(Comparator.reverseOrder()).toList()) {
        Files.delete(p);
      }
    }
  }

  /** Anomalies by checker with the first of each (all of them are in anomalies.txt). */
  private static String summary(List<Anomaly> anomalies) {
    Map<String, List<Anomaly>> by = new TreeMap<>();
    anomalies.forEach(a -> by.computeIfAbsent(a.checker(), k -> new ArrayList<>()).add(a));
    return anomalies.size() + " anomalies: " + by.entrySet().stream()
      .map(e -> e.getKey() + " x" + e.getValue().size() + " (first: " + abbreviate(e.getValue().get(0).what()) + ")")
      .collect(Collectors.joining("; "));
  }

  static String abbreviate(String s) {
    return s.length() <= 400 ? s : s.substring(0, 400) + "…";
  }

  /**
   * Whether a node's log line was logged at ERROR: its level field (the second, after the time), not the word anywhere
   * in it (seed 1007: a library line reclassified as a WARN explains that "io.steward.Main's ERROR" follows when the
   * node cannot start, and was counted as an ERROR).
   */
  static boolean isErrorLine(String line) {
    int space = line.indexOf(' ');
    return space > 0 && line.startsWith("ERROR ", space + 1);
  }
}
