package io.steward.node;

import io.opentelemetry.api.trace.SpanId;
import io.opentelemetry.api.trace.SpanKind;
import io.opentelemetry.api.trace.StatusCode;
import io.opentelemetry.sdk.OpenTelemetrySdk;
import io.opentelemetry.sdk.testing.exporter.InMemorySpanExporter;
import io.opentelemetry.sdk.trace.SdkTracerProvider;
import io.opentelemetry.sdk.trace.data.SpanData;
import io.opentelemetry.sdk.trace.export.SimpleSpanProcessor;
import io.steward.bus.Addresses;
import io.steward.observe.Tracing;
import io.steward.spi.ConfigException;
import io.steward.testing.FramedClient;
import io.steward.testing.Poll;
import io.steward.testing.TestCluster;
import io.vertx.core.Future;
import io.vertx.core.Vertx;
import io.vertx.core.buffer.Buffer;
import io.vertx.core.eventbus.DeliveryOptions;
import io.vertx.core.json.JsonArray;
import io.vertx.core.internal.VertxInternal;
import io.vertx.core.json.JsonObject;
import io.vertx.ext.web.client.HttpResponse;
import io.vertx.ext.web.client.WebClient;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

import java.io.File;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.TimeUnit;
import java.util.function.Predicate;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.assertj.core.api.Assertions.fail;

/**
 * Tracing across the cluster (docs/tracing.md) on two real Hazelcast nodes in this JVM: {@code a} runs only the HTTP
 * module, {@code b} only tasks, so a task submitted over HTTP on {@code a} runs on {@code b}. Each node has its own
 * OpenTelemetry SDK recording into an in-memory exporter, as two processes would each export their own spans.
 */
class TracingTest {

  private static TestCluster cluster;
  private static StewardNode a;
  private static StewardNode b;
  private static final InMemorySpanExporter SPANS_A = InMemorySpanExporter.create();
  private static final InMemorySpanExporter SPANS_B = InMemorySpanExporter.create();
  private static OpenTelemetrySdk otelA;
  private static OpenTelemetrySdk otelB;
  private static Vertx client;
  private static WebClient web;
  private static String url;
  private static String bridgeUrl;
  private static final String VALUE = "steward.test.trace.value";

  @BeforeAll
  static void start() throws Exception {
    cluster = TestCluster.create(TracingTest.class, 4);
    otelA = sdk(SPANS_A);
    otelB = sdk(SPANS_B);
    JsonObject bridge = new JsonObject().put("bridge", new JsonObject().put("port", 0)
      .put("inbound", new JsonArray().add(Addresses.Tasks.SUBMIT)))
      .put("http", new JsonObject().put("bridgeInbound", new JsonArray().add(Addresses.Tasks.SUBMIT)));
    a = StewardNode.start(cluster.config(List.of("http", "bridge"), bridge), otelA).await(60, TimeUnit.SECONDS);
    b = StewardNode.start(cluster.config(List.of("tasks", "fanout", "schedule", "cache"), new JsonObject()
      .put("cache", new JsonObject().put("caches", new JsonObject().put("traced", new JsonObject())))), otelB)
      .await(60, TimeUnit.SECONDS);
    // A service on node a that fan-outs and computes ask (so each of their requests crosses to the other node).
    a.vertx().eventBus().consumer(VALUE, m -> m.reply(new JsonObject().put("value", "v")))
      .completion().await(10, TimeUnit.SECONDS);
    url = TestCluster.httpUrl(a).await(10, TimeUnit.SECONDS);
    bridgeUrl = a.vertx().eventBus().request(Addresses.moduleHealth(a.id(), "bridge"), new JsonObject(),
        new DeliveryOptions().setLocalOnly(true).setSendTimeout(5_000))
      .map(r -> ((JsonObject) r.body()).getString("url")).await(10, TimeUnit.SECONDS);
    client = Vertx.vertx(); // untraced: the caller's side is not under test
    web = WebClient.create(client);
  }

  @AfterAll
  static void stop() throws Exception {
    // Both at once: nothing is asserted after the tests, and each stop waits out its own drain.
    List<Future<Void>> stops = new java.util.ArrayList<>();
    for (StewardNode n : new StewardNode[] {a, b}) {
      if (n != null) {
        stops.add(n.stop(2_000).recover(err -> Future.succeededFuture()));
      }
    }
    Future.join(stops).await(30, TimeUnit.SECONDS);
    if (client != null) {
      client.close().await(10, TimeUnit.SECONDS);
    }
    otelA.close();
    otelB.close();
  }

  private static OpenTelemetrySdk sdk(InMemorySpanExporter exporter) {
    return OpenTelemetrySdk.builder()
      .setTracerProvider(SdkTracerProvider.builder().addSpanProcessor(SimpleSpanProcessor.create(exporter)).build())
      .setPropagators(TracingSetup.propagators())
      .build();
  }

  @Test
  void an_http_submit_on_one_node_is_one_trace_down_to_the_attempt_on_the_other() throws Exception {
    String id = submit(null);
    SpanData attempt = awaitSpan(SPANS_B, s -> id.equals(s.getAttributes().get(Tracing.TASK_ID)));
    String trace = attempt.getTraceId();

    SpanData http = awaitSpan(SPANS_A, s -> s.getTraceId().equals(trace) && s.getKind() == SpanKind.SERVER);
    SpanData send = awaitSpan(SPANS_A, s -> s.getTraceId().equals(trace) && s.getKind() == SpanKind.CLIENT);
    SpanData receive = awaitSpan(SPANS_B, s -> s.getTraceId().equals(trace) && s.getKind() == SpanKind.SERVER);
    SPANS_A.getFinishedSpanItems().forEach(s -> System.out.println("a: " + s));
    SPANS_B.getFinishedSpanItems().forEach(s -> System.out.println("b: " + s));

    assertThat(http.getParentSpanId()).as("the HTTP request starts the trace").isEqualTo(SpanId.getInvalid());
    assertThat(send.getParentSpanId()).as("the bus send is a child of the HTTP request").isEqualTo(http.getSpanId());
    assertThat(send.getAttributes().asMap().toString()).contains(Addresses.Tasks.SUBMIT);
    assertThat(receive.getParentSpanId()).as("node b's receive is a child of node a's send").isEqualTo(send.getSpanId());
    assertThat(attempt.getParentSpanId()).as("the attempt is a child of the receive").isEqualTo(receive.getSpanId());
    assertThat(attempt.getName()).isEqualTo("task attempt echo");
    assertThat(attempt.getAttributes().get(Tracing.TASK_ATTEMPT)).isEqualTo(1L);
    assertThat(attempt.getAttributes().get(Tracing.NODE)).isEqualTo(b.id());
  }

  @Test
  void a_failed_attempt_is_an_error_span_and_its_restart_a_second_attempt_under_the_same_parent() throws Exception {
    String trace = "8f4a3d5e6f708192a3b4c5d6e7f8091a";
    JsonObject reply = (JsonObject) a.vertx().eventBus().request(Addresses.Tasks.SUBMIT, new JsonObject()
        .put("type", "fail").put("payload", new JsonObject().put("message", "boom")).put("restart", "transient")
        .put("maxRestarts", 1), new DeliveryOptions().addHeader("traceparent", "00-" + trace + "-4444444444444444-01"))
      .await(30, TimeUnit.SECONDS).body();
    String id = reply.getString("id");
    SpanData first = awaitSpan(SPANS_B, s -> id.equals(s.getAttributes().get(Tracing.TASK_ID))
      && Long.valueOf(1).equals(s.getAttributes().get(Tracing.TASK_ATTEMPT)));
    SpanData second = awaitSpan(SPANS_B, s -> id.equals(s.getAttributes().get(Tracing.TASK_ID))
      && Long.valueOf(2).equals(s.getAttributes().get(Tracing.TASK_ATTEMPT)));
    assertThat(first.getStatus().getStatusCode()).isEqualTo(StatusCode.ERROR);
    assertThat(first.getStatus().getDescription()).contains("boom");
    assertThat(second.getTraceId()).isEqualTo(trace);
    assertThat(second.getParentSpanId()).isEqualTo(first.getParentSpanId());
  }

  @Test
  void a_request_with_a_w3c_traceparent_joins_the_callers_trace() throws Exception {
    String trace = "4bf92f3577b34da6a3ce929d0e0e4736";
    String callerSpan = "00f067aa0ba902b7";
    String id = submit("00-" + trace + "-" + callerSpan + "-01");
    SpanData attempt = awaitSpan(SPANS_B, s -> id.equals(s.getAttributes().get(Tracing.TASK_ID)));
    assertThat(attempt.getTraceId()).isEqualTo(trace);
    SpanData http = awaitSpan(SPANS_A, s -> s.getTraceId().equals(trace) && s.getKind() == SpanKind.SERVER);
    assertThat(http.getParentSpanId()).as("the HTTP span is a child of the caller's").isEqualTo(callerSpan);
  }

  @Test
  void a_bridge_message_with_a_w3c_traceparent_header_joins_the_callers_trace() throws Exception {
    String trace = "0af7651916cd43dd8448eb211c80319c";
    String callerSpan = "b7ad6b7169203331";
    JsonObject reply;
    try (FramedClient bridge = new FramedClient(bridgeUrl)) {
      bridge.send(new JsonObject().put("type", "send").put("address", Addresses.Tasks.SUBMIT).put("replyAddress", "r1")
        .put("headers", new JsonObject().put("traceparent", "00-" + trace + "-" + callerSpan + "-01"))
        .put("body", new JsonObject().put("type", "echo").put("payload", "over the bridge")));
      reply = bridge.read();
    }
    String id = reply.getJsonObject("body").getString("id");
    assertThat(id).as(reply.encode()).isNotNull();
    SpanData attempt = awaitSpan(SPANS_B, s -> id.equals(s.getAttributes().get(Tracing.TASK_ID)));
    assertThat(attempt.getTraceId()).isEqualTo(trace);
    SpanData receive = awaitSpan(SPANS_B, s -> s.getSpanId().equals(attempt.getParentSpanId()));
    assertThat(receive.getKind()).isEqualTo(SpanKind.SERVER);
    assertThat(receive.getParentSpanId()).as("node b's receive is a child of the bridge client's span")
      .isEqualTo(callerSpan);
  }

  /** Over a WebSocket, and over xhr-streaming, where each frame arrives in an HTTP POST of its own (a traced request). */
  @ParameterizedTest
  @ValueSource(strings = {"websocket", "xhr-streaming"})
  void a_sockjs_bridge_message_with_a_w3c_traceparent_header_joins_the_callers_trace(String transport) throws Exception {
    String trace = (transport.equals("websocket") ? "1a2b3c4d5e6f7081" : "2b3c4d5e6f708192") + "92a3b4c5d6e7f801";
    String callerSpan = "c8be6c8270314442";
    JsonObject reply = sockJs(url + "/eventbus", transport, new JsonObject().put("step", "submit")
      .put("address", Addresses.Tasks.SUBMIT).put("body", new JsonObject().put("type", "echo").put("payload", "over sockjs"))
      .put("headers", new JsonObject().put("traceparent", "00-" + trace + "-" + callerSpan + "-01")));
    assertThat(reply.getBoolean("ok")).as(reply.encode()).isTrue();
    String id = reply.getJsonObject("body").getString("id");
    SpanData attempt = awaitSpan(SPANS_B, s -> id.equals(s.getAttributes().get(Tracing.TASK_ID)));
    assertThat(attempt.getTraceId()).as("the attempt is in the SockJS client's trace").isEqualTo(trace);
    SpanData receive = awaitSpan(SPANS_B, s -> s.getSpanId().equals(attempt.getParentSpanId()));
    assertThat(receive.getKind()).isEqualTo(SpanKind.SERVER);
    SpanData send = awaitSpan(SPANS_A, s -> s.getSpanId().equals(receive.getParentSpanId()));
    assertThat(send.getKind()).as("node b's receive is a child of the bridge's send on node a").isEqualTo(SpanKind.CLIENT);
    assertThat(send.getParentSpanId()).as("the bridge's send is a child of the SockJS client's span").isEqualTo(callerSpan);
  }

  @Test
  void a_gathers_items_are_child_spans_of_its_span_and_their_requests_reach_each_node() throws Exception {
    String trace = "9a8b7c6d5e4f30211203f4e5d6c7b8a9";
    JsonObject reply = (JsonObject) a.vertx().eventBus().request(Addresses.Fanout.GATHER, new JsonObject().put("verb", "info"),
        new DeliveryOptions().addHeader("traceparent", "00-" + trace + "-5555555555555555-01"))
      .await(30, TimeUnit.SECONDS).body();
    assertThat(reply.getJsonObject("counts").getInteger("ok")).as(reply.encode())
      .isEqualTo(reply.getJsonObject("counts").getInteger("total"));
    SpanData gather = awaitSpan(SPANS_B, s -> s.getTraceId().equals(trace) && s.getName().equals("fanout gather"));
    SpanData receive = awaitSpan(SPANS_B, s -> s.getSpanId().equals(gather.getParentSpanId()));
    assertThat(receive.getParentSpanId()).as("the gather is in its caller's trace").isEqualTo("5555555555555555");
    assertThat(gather.getAttributes().get(Tracing.VERB)).isEqualTo("info");
    int nodes = reply.getJsonObject("counts").getInteger("total");
    assertThat(gather.getAttributes().get(Tracing.ITEMS)).isEqualTo((long) nodes);
    Predicate<SpanData> item = s -> s.getName().equals("fanout item") && s.getParentSpanId().equals(gather.getSpanId());
    Poll.until(client, nodes + " item spans", 20_000, () -> Future.succeededFuture(
      SPANS_B.getFinishedSpanItems().stream().filter(item).count() == nodes)).await(30, TimeUnit.SECONDS);
    // Node a's item crosses to node a: its request's send (on b) is the parent of a's receive.
    SpanData toA = find(SPANS_B, item.and(s -> Addresses.node(a.id(), "info").equals(s.getAttributes().get(Tracing.ADDRESS))))
      .orElseThrow(() -> new AssertionError("no item span for node a: " + SPANS_B.getFinishedSpanItems()));
    SpanData send = awaitSpan(SPANS_B, s -> s.getParentSpanId().equals(toA.getSpanId()) && s.getKind() == SpanKind.CLIENT);
    SpanData onA = awaitSpan(SPANS_A, s -> s.getParentSpanId().equals(send.getSpanId()) && s.getKind() == SpanKind.SERVER);
    assertThat(onA.getTraceId()).isEqualTo(trace);
    assertThat(find(SPANS_B, item.and(s -> Addresses.node(b.id(), "info").equals(s.getAttributes().get(Tracing.ADDRESS)))))
      .as("an item span for node b").isPresent();
  }

  @Test
  void fan_out_items_are_child_spans_of_the_fan_out_and_their_requests_of_the_items() throws Exception {
    String trace = "5c1f0a2b3c4d5e6f708192a3b4c5d6e7";
    a.vertx().eventBus().request(Addresses.Fanout.RUN, new JsonObject().put("address", VALUE)
        .put("items", new JsonArray().add(1).add(2).add(3)).put("mode", "settled"),
        new DeliveryOptions().addHeader("traceparent", "00-" + trace + "-1111111111111111-01"))
      .await(30, TimeUnit.SECONDS);
    SpanData run = awaitSpan(SPANS_B, s -> s.getTraceId().equals(trace) && s.getName().equals("fanout run"));
    SpanData receive = awaitSpan(SPANS_B, s -> s.getSpanId().equals(run.getParentSpanId()));
    assertThat(receive.getParentSpanId()).as("the run is in its caller's trace").isEqualTo("1111111111111111");
    Poll.until(client, "three item spans", 20_000, () -> Future.succeededFuture(
      items(run).size() == 3)).await(30, TimeUnit.SECONDS);
    for (SpanData item : items(run)) {
      SpanData send = awaitSpan(SPANS_B, s -> s.getParentSpanId().equals(item.getSpanId()) && s.getKind() == SpanKind.CLIENT);
      awaitSpan(SPANS_A, s -> s.getParentSpanId().equals(send.getSpanId()) && s.getKind() == SpanKind.SERVER);
    }
  }

  private static List<SpanData> items(SpanData run) {
    return SPANS_B.getFinishedSpanItems().stream()
      .filter(s -> s.getName().equals("fanout item") && s.getParentSpanId().equals(run.getSpanId())).toList();
  }

  @Test
  void a_cache_compute_is_a_span_in_the_callers_trace_with_its_request_as_a_child() throws Exception {
    String trace = "6d2e1b3c4d5e6f708192a3b4c5d6e7f8";
    a.vertx().eventBus().request(Addresses.Cache.GET_OR_COMPUTE, new JsonObject().put("cache", "traced")
        .put("key", "k-" + System.nanoTime()).put("compute", new JsonObject().put("address", VALUE)),
        new DeliveryOptions().addHeader("traceparent", "00-" + trace + "-2222222222222222-01"))
      .await(30, TimeUnit.SECONDS);
    SpanData compute = awaitSpan(SPANS_B, s -> s.getName().equals("cache compute traced"));
    assertThat(compute.getTraceId()).isEqualTo(trace);
    SpanData send = awaitSpan(SPANS_B, s -> s.getParentSpanId().equals(compute.getSpanId()) && s.getKind() == SpanKind.CLIENT);
    awaitSpan(SPANS_A, s -> s.getParentSpanId().equals(send.getSpanId()) && s.getKind() == SpanKind.SERVER);
  }

  @Test
  void each_schedule_tick_is_a_trace_of_its_own_down_to_the_task_it_runs() throws Exception {
    String job = "traced-" + System.nanoTime();
    a.vertx().eventBus().request(Addresses.Schedule.PUT, new JsonObject().put("name", job).put("every", "300ms")
      .put("action", new JsonObject().put("type", "task").put("task", new JsonObject().put("type", "echo"))))
      .await(30, TimeUnit.SECONDS);
    try {
      Predicate<SpanData> tick = s -> s.getName().equals("schedule tick " + job);
      Poll.until(client, "two ticks", 20_000, () -> Future.succeededFuture(
        SPANS_B.getFinishedSpanItems().stream().filter(tick).count() >= 2)).await(30, TimeUnit.SECONDS);
      List<SpanData> ticks = SPANS_B.getFinishedSpanItems().stream().filter(tick).toList();
      assertThat(ticks).allSatisfy(t -> assertThat(t.getParentSpanId()).isEqualTo(SpanId.getInvalid()));
      assertThat(ticks.get(0).getTraceId()).as("one trace per tick").isNotEqualTo(ticks.get(1).getTraceId());
      SpanData first = ticks.get(0);
      SpanData send = awaitSpan(SPANS_B, s -> s.getParentSpanId().equals(first.getSpanId()) && s.getKind() == SpanKind.CLIENT);
      SpanData receive = awaitSpan(SPANS_B, s -> s.getParentSpanId().equals(send.getSpanId()) && s.getKind() == SpanKind.SERVER);
      SpanData attempt = awaitSpan(SPANS_B, s -> s.getParentSpanId().equals(receive.getSpanId()));
      assertThat(attempt.getName()).isEqualTo("task attempt echo");
      assertThat(attempt.getTraceId()).isEqualTo(first.getTraceId());
    } finally {
      a.vertx().eventBus().request(Addresses.Schedule.DELETE, new JsonObject().put("name", job)).await(30, TimeUnit.SECONDS);
    }
  }

  @Test
  void a_triggered_run_joins_the_trace_of_the_trigger_request() throws Exception {
    String job = "triggered-" + System.nanoTime();
    String trace = "7e3f2c4d5e6f708192a3b4c5d6e7f809";
    a.vertx().eventBus().request(Addresses.Schedule.PUT, new JsonObject().put("name", job).put("every", "1h")
      .put("action", new JsonObject().put("type", "task").put("task", new JsonObject().put("type", "echo"))))
      .await(30, TimeUnit.SECONDS);
    try {
      a.vertx().eventBus().request(Addresses.Schedule.TRIGGER, new JsonObject().put("name", job),
          new DeliveryOptions().addHeader("traceparent", "00-" + trace + "-3333333333333333-01"))
        .await(30, TimeUnit.SECONDS);
      SpanData tick = awaitSpan(SPANS_B, s -> s.getName().equals("schedule tick " + job));
      assertThat(tick.getTraceId()).isEqualTo(trace);
      assertThat(tick.getAttributes().get(Tracing.TRIGGER)).isTrue();
      awaitSpan(SPANS_B, s -> s.getTraceId().equals(trace) && s.getName().equals("task attempt echo"));
    } finally {
      a.vertx().eventBus().request(Addresses.Schedule.DELETE, new JsonObject().put("name", job)).await(30, TimeUnit.SECONDS);
    }
  }

  @Test
  void with_tracing_off_no_tracer_is_installed_and_with_it_on_one_is() throws Exception {
    StewardNode off = StewardNode.start(cluster.config(List.of(), null)).await(60, TimeUnit.SECONDS);
    try {
      assertThat(((VertxInternal) off.vertx()).tracer()).isNull();
      assertThat(Tracing.tracer(off.vertx())).isNull();
    } finally {
      off.stop(2_000).await(30, TimeUnit.SECONDS);
    }
    // On with the node's own SDK (nothing sampled, so nothing is sent to the endpoint, which nobody listens on).
    StewardNode on = StewardNode.start(cluster.config(List.of(), new JsonObject().put("tracing",
      new JsonObject().put("enabled", true).put("samplePercent", 0)))).await(60, TimeUnit.SECONDS);
    try {
      assertThat(((VertxInternal) on.vertx()).tracer()).isNotNull();
      assertThat(Tracing.tracer(on.vertx())).isNotNull();
    } finally {
      on.stop(2_000).await(30, TimeUnit.SECONDS);
    }
  }

  @Test
  void a_bad_tracing_setting_is_refused_naming_the_key() {
    ConfigLoader loader = StewardNode.configLoader();
    assertThatThrownBy(() -> loader.resolve(new JsonObject().put("tracing", new JsonObject().put("samplePercent", 101)),
      Map.of(), Map.of())).isInstanceOf(ConfigException.class).hasMessageContaining("tracing.samplePercent");
    assertThatThrownBy(() -> loader.resolve(new JsonObject().put("tracing",
      new JsonObject().put("otlpEndpoint", "localhost:4318")), Map.of(), Map.of()))
      .isInstanceOf(ConfigException.class).hasMessageContaining("tracing.otlpEndpoint");
  }

  /**
   * Sends {@code request} ({step, address, body, headers}) through the SockJS bridge at {@code eventBusUrl} with the
   * official Vert.x client in Node.js ({@code src/test/js/sockjs-bridge.js}, scenario {@code requests}); its answer.
   */
  private static JsonObject sockJs(String eventBusUrl, String transport, JsonObject request) throws Exception {
    Path js = Path.of("src/test/js");
    if (!Files.isDirectory(js.resolve("node_modules/@vertx/eventbus-bridge-client.js"))) {
      fail("The Node.js test client is not installed: run `npm ci` in " + js.toAbsolutePath());
    }
    File stdout = File.createTempFile("sockjs-bridge", ".out");
    File stderr = File.createTempFile("sockjs-bridge", ".err");
    try {
      ProcessBuilder builder = new ProcessBuilder("node", "sockjs-bridge.js", eventBusUrl, "requests",
        new JsonArray().add(request).encode()).directory(js.toFile()).redirectOutput(stdout).redirectError(stderr);
      builder.environment().put("SOCKJS_TRANSPORTS", transport);
      Process process = builder.start();
      if (!process.waitFor(60, TimeUnit.SECONDS)) {
        process.destroyForcibly();
        fail("the Node.js client did not finish in 60 s; output: " + Files.readString(stdout.toPath()));
      }
      String out = Files.readString(stdout.toPath());
      assertThat(process.exitValue()).as("node exit code; stdout:\n%s\nstderr:\n%s", out,
        Files.readString(stderr.toPath())).isZero();
      return out.lines().filter(l -> !l.isBlank()).map(JsonObject::new)
        .filter(l -> request.getString("step").equals(l.getString("step"))).findFirst()
        .orElseThrow(() -> new AssertionError("no answer in the Node.js client's output: " + out));
    } finally {
      Files.deleteIfExists(stdout.toPath());
      Files.deleteIfExists(stderr.toPath());
    }
  }

  /** Submits an echo task over HTTP on node a, with {@code traceparent} if not null; returns its id. */
  private static String submit(String traceparent) throws Exception {
    var req = web.postAbs(url + "/tasks");
    if (traceparent != null) {
      req.putHeader("traceparent", traceparent);
    }
    HttpResponse<Buffer> res = req.sendJsonObject(new JsonObject().put("type", "echo").put("payload", "hi"))
      .await(30, TimeUnit.SECONDS);
    assertThat(res.statusCode()).as(res.bodyAsString()).isEqualTo(202);
    return res.bodyAsJsonObject().getString("id");
  }

  private static SpanData awaitSpan(InMemorySpanExporter spans, Predicate<SpanData> which) throws Exception {
    try {
      Poll.until(client, "a span", 20_000, () -> Future.succeededFuture(find(spans, which).isPresent()))
        .await(30, TimeUnit.SECONDS);
    } catch (Exception e) {
      // What was recorded instead, to tell a span that never ended from one under another parent or trace.
      StringBuilder seen = new StringBuilder();
      List<SpanData> all = spans.getFinishedSpanItems();
      for (SpanData s : all.subList(Math.max(0, all.size() - 60), all.size())) {
        seen.append("\n  ").append(s.getName()).append(" kind=").append(s.getKind()).append(" trace=").append(s.getTraceId())
          .append(" span=").append(s.getSpanId()).append(" parent=").append(s.getParentSpanId());
      }
      throw new AssertionError("the span was not recorded within 20 s; the last " + Math.min(60, all.size()) + " of "
        + all.size() + " finished spans of this node:" + seen, e);
    }
    return find(spans, which).orElseThrow();
  }

  private static Optional<SpanData> find(InMemorySpanExporter spans, Predicate<SpanData> which) {
    return spans.getFinishedSpanItems().stream().filter(which).findFirst();
  }
}
