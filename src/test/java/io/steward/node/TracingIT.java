package io.steward.node;

import io.steward.testing.NodeProcess;
import io.steward.testing.ProcessCluster;
import io.vertx.core.Vertx;
import io.vertx.core.http.HttpServer;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.condition.EnabledIfSystemProperty;

import java.net.URI;
import java.net.http.HttpRequest;
import java.nio.charset.StandardCharsets;
import java.util.HexFormat;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.TimeUnit;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * Tracing with the fat jar in two real processes (docs/tracing.md): node1 runs only HTTP, node2 only tasks; both
 * export over OTLP/HTTP to a receiver in this JVM. A submit on node1 carrying a {@code traceparent} must reach the
 * receiver from both processes in that one trace: node1's HTTP span, node2's attempt. The OTLP bodies are
 * protobuf; a trace id travels as its 16 raw bytes and names as UTF-8, which is all this test looks for.
 * Behind a flag (two JVM starts take longer than a default-build test may):
 * {@code mvn -B -o failsafe:integration-test failsafe:verify -Dit.test=TracingIT -DtracingIT=true}.
 */
@EnabledIfSystemProperty(named = "tracingIT", matches = "true")
class TracingIT {

  private static final String DETECTION = "STEWARD_CLUSTER_FAILURE_DETECTION_SECONDS";

  @Test
  void a_submit_on_one_process_is_one_trace_with_the_attempt_exported_by_the_other() throws Exception {
    Vertx vertx = Vertx.vertx();
    List<byte[]> exports = new CopyOnWriteArrayList<>();
    HttpServer receiver = vertx.createHttpServer().requestHandler(req -> req.body().onSuccess(body -> {
      exports.add(body.getBytes());
      req.response().putHeader("content-type", "application/x-protobuf").end();
    })).listen(0, "127.0.0.1").await(10, TimeUnit.SECONDS);
    try (ProcessCluster cluster = ProcessCluster.create(TracingIT.class, 2)) {
      cluster.env("STEWARD_TRACING_ENABLED", "true")
        .env("STEWARD_TRACING_OTLP_ENDPOINT", "http://127.0.0.1:" + receiver.actualPort() + "/v1/traces");
      // Failure detection well above a stall of this loaded machine: this test is about traces, not member loss.
      NodeProcess gateway = cluster.add(Map.of("STEWARD_MODULES", "http", DETECTION, "20"));
      cluster.awaitHealthy(gateway, 90_000);
      NodeProcess worker = cluster.add(Map.of("STEWARD_MODULES", "tasks", DETECTION, "20"));
      cluster.awaitNodeCount(gateway, 2, 90_000); // the worker has no HTTP of its own: seen from the gateway

      String trace = "9a5b4c6d7e8f90a1b2c3d4e5f6a7b8c9";
      NodeProcess.Response res = gateway.send(HttpRequest.newBuilder(URI.create(gateway.url() + "/tasks"))
        .header("content-type", "application/json")
        .header("traceparent", "00-" + trace + "-5555555555555555-01")
        .POST(HttpRequest.BodyPublishers.ofString("{\"type\":\"echo\",\"payload\":\"across processes\"}")));
      assertThat(res.status()).as(res.body()).isEqualTo(202);

      byte[] traceBytes = HexFormat.of().parseHex(trace);
      cluster.await("node1's HTTP span and node2's attempt, in the caller's trace", 30_000, () ->
        exports.stream().anyMatch(b -> has(b, traceBytes) && has(b, bytes("node1")) && has(b, bytes("POST")))
          && exports.stream().anyMatch(b -> has(b, traceBytes) && has(b, bytes("node2"))
          && has(b, bytes("task attempt echo"))));
    } finally {
      vertx.close().await(10, TimeUnit.SECONDS);
    }
  }

  private static byte[] bytes(String s) {
    return s.getBytes(StandardCharsets.UTF_8);
  }

  private static boolean has(byte[] body, byte[] part) {
    outer:
    for (int i = 0; i + part.length <= body.length; i++) {
      for (int j = 0; j < part.length; j++) {
        if (body[i + j] != part[j]) {
          continue outer;
        }
      }
      return true;
    }
    return false;
  }
}
