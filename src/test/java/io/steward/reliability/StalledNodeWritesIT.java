package io.steward.reliability;

import io.steward.testing.NodeProcess;
import io.steward.testing.ProcessCluster;
import io.vertx.core.json.JsonObject;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.condition.EnabledIfSystemProperty;

import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * Scenario 10: increments sent to a node while it is stalled (SIGSTOP, as a long GC pause or a frozen VM does) past
 * failure detection, with {@code cluster.minimumSize} 2. The other two remove it and take its partitions over from
 * their backups; when it resumes it still believes it is a member with the partitions it owned, and the requests
 * that queued in its sockets run at once. An update applied to its stale copy is lost when it merges back (the
 * majority's copy wins), so the node must not acknowledge it: 504 (outcome unknown) or a refusal, never 200
 * (campaign seed 2103: six increments answered 200 that way, then gone; {@code spi/Stalls}).
 *
 * <p>Observed from outside only: HTTP to the nodes' APIs. Twenty counters, each set to 1 through another node
 * first, so that the stalled node owns some of them; one increment each (an {@code opId} of its own) sent to the
 * stalled node; after the merge every counter is read back through another node. Required: every increment answered
 * 200 is counted (value 2), every other answer is a documented code, and sending each unanswered increment again
 * with its {@code opId} (docs/cache.md) leaves every counter at exactly 2. It checks the promise, not one rule: with
 * the stall rule removed (both its uses, in {@code Caches} and {@code MissedBackups}) it passed too, the node learning
 * of its removal within a second of resuming and answering 503 or 504 (the rule's own tests: {@code StallsTest},
 * {@code MissedBackupsRuleTest}). About 45 s (the merge runs every 10 s);
 * behind {@code -Dsplitbrain=true} to keep CI under 15 minutes: every build's campaign seed pauses a node, and long
 * campaigns judge the same promise (the {@code cache-increments} checker) after every pause past failure detection.
 */
class StalledNodeWritesIT {

  private static final int COUNTERS = 20;
  private static final HttpClient HTTP = HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(30)).build();

  @Test
  @EnabledIfSystemProperty(named = "splitbrain", matches = "true")
  void increments_queued_at_a_node_stalled_past_failure_detection_are_never_acknowledged_and_lost() throws Exception {
    try (ProcessCluster cluster = ProcessCluster.create(StalledNodeWritesIT.class, 3)) {
      cluster.env("STEWARD_MODULES", "http,cache")
        .env("STEWARD_CLUSTER_MINIMUM_SIZE", "2")
        .env("STEWARD_CACHE_CACHES", "{\"counters\": {}}");
      List<NodeProcess> nodes = cluster.start(3);
      NodeProcess stalled = nodes.get(0);
      NodeProcess other = nodes.get(1);
      cluster.await("the cluster is safe", 60_000, () -> other.clusterSafe());
      for (int i = 0; i < COUNTERS; i++) {
        HttpResponse<String> r = increment(other, i, "seed-" + i, 10);
        assertThat(r.statusCode()).as(r.body()).isEqualTo(200);
      }

      stalled.pause();
      long pausedAt = System.currentTimeMillis();
      List<CompletableFuture<HttpResponse<String>>> sent = new ArrayList<>();
      try {
        for (int i = 0; i < COUNTERS; i++) {
          sent.add(HTTP.sendAsync(update(stalled, i, "stalled-" + i, 60), HttpResponse.BodyHandlers.ofString()));
        }
        for (NodeProcess n : nodes.subList(1, 3)) {
          cluster.awaitNodeCount(n, 2, 60_000);
        }
      } finally {
        stalled.resume();
      }
      long pausedMs = System.currentTimeMillis() - pausedAt;

      Map<Integer, Integer> codes = new TreeMap<>();
      int namedTheStall = 0;
      List<Integer> acknowledged = new ArrayList<>();
      List<Integer> unknown = new ArrayList<>();
      List<String> unclear = new ArrayList<>();
      for (int i = 0; i < COUNTERS; i++) {
        int status;
        String body;
        try {
          HttpResponse<String> r = sent.get(i).get(90, TimeUnit.SECONDS);
          status = r.statusCode();
          body = r.body();
        } catch (Exception e) {
          status = -1;
          body = e.toString();
        }
        codes.merge(status, 1, Integer::sum);
        if (body.contains("stalled")) {
          namedTheStall++;
        }
        if (status == 200) {
          acknowledged.add(i);
        } else {
          unknown.add(i);
          // 504: outcome unknown; 503: refused below the minimum size; 408: the node's own deadline passed.
          if (status != 504 && status != 503 && status != 408) {
            unclear.add("c" + i + ": " + status + " " + body);
          }
        }
      }

      cluster.await("every node lists 3 nodes after the merge", 180_000,
        () -> nodes.stream().allMatch(n -> n.nodeCount() == 3));
      cluster.await("the cluster is safe after the merge", 60_000, () -> other.clusterSafe());
      List<String> lost = new ArrayList<>();
      for (int i : acknowledged) {
        Object value = value(other, i);
        if (!Integer.valueOf(2).equals(value)) {
          lost.add("c" + i + " = " + value);
        }
      }
      // The documented way out of a 504: send the update again with its opId; it is applied if it was not.
      List<String> unsettled = new ArrayList<>();
      for (int i : unknown) {
        HttpResponse<String> r = increment(other, i, "stalled-" + i, 10);
        if (r.statusCode() != 200) {
          unsettled.add("c" + i + ": " + r.statusCode() + " " + r.body());
        }
      }
      List<String> wrong = new ArrayList<>();
      for (int i = 0; i < COUNTERS; i++) {
        Object value = value(other, i);
        if (!Integer.valueOf(2).equals(value)) {
          wrong.add("c" + i + " = " + value);
        }
      }

      Verdict v = Verdict.of("increments at a node stalled past failure detection (cluster.minimumSize 2)")
        .figure("paused ms", pausedMs)
        .figure("answers by status", codes)
        .figure("answers naming the stall", namedTheStall)
        .figure("acknowledged increments lost", lost.size() + " of " + acknowledged.size())
        .figure("counters not at exactly 2 after resending the unanswered ones", wrong.size() + " of " + COUNTERS);
      v.check(lost.isEmpty(), "increments answered 200 by the stalled node and lost at the merge: " + lost)
        .check(unclear.isEmpty(), "answers that are neither 200 nor a documented retryable code: " + unclear)
        .check(unsettled.isEmpty(), "resent increments not settled: " + unsettled)
        .check(wrong.isEmpty(), "counters counted an increment twice or lost it: " + wrong);
      assertThat(v.report()).as("verdict").isEmpty();
    }
  }

  private static HttpRequest update(NodeProcess node, int counter, String opId, int timeoutSeconds) {
    return HttpRequest.newBuilder(URI.create(node.url() + "/caches/counters/c" + counter + "/update"))
      .header("content-type", "application/json").timeout(Duration.ofSeconds(timeoutSeconds))
      .POST(HttpRequest.BodyPublishers.ofString(new JsonObject().put("increment", 1).put("opId", opId)
        .put("timeoutMs", 3_000).encode()))
      .build();
  }

  private static HttpResponse<String> increment(NodeProcess node, int counter, String opId, int timeoutSeconds)
    throws Exception {
    return HTTP.send(update(node, counter, opId, timeoutSeconds), HttpResponse.BodyHandlers.ofString());
  }

  private static Object value(NodeProcess node, int counter) {
    NodeProcess.Response r = node.get("/caches/counters/c" + counter);
    return r.status() == 200 ? r.json().getValue("value") : "HTTP " + r.status();
  }
}
