package io.steward.bench;

import io.opentelemetry.api.trace.propagation.W3CTraceContextPropagator;
import io.opentelemetry.context.propagation.ContextPropagators;
import io.opentelemetry.sdk.OpenTelemetrySdk;
import io.opentelemetry.sdk.common.CompletableResultCode;
import io.opentelemetry.sdk.trace.SdkTracerProvider;
import io.opentelemetry.sdk.trace.data.SpanData;
import io.opentelemetry.sdk.trace.export.BatchSpanProcessor;
import io.opentelemetry.sdk.trace.export.SpanExporter;
import io.opentelemetry.sdk.trace.samplers.Sampler;
import io.steward.bus.Addresses;
import io.steward.node.StewardNode;
import io.steward.tasks.TaskType;
import io.steward.tasks.TaskTypes;
import io.steward.testing.TestCluster;
import io.vertx.core.Context;
import io.vertx.core.Vertx;
import io.vertx.core.eventbus.DeliveryOptions;
import io.vertx.core.json.JsonObject;

import java.util.Collection;
import java.util.List;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicLong;

/**
 * The cost of tracing (docs/tracing.md) on the tasks module: temporary fire-and-forget throughput of three nodes in
 * this JVM, each alone in its cluster, started alike but for tracing: off, on at {@code samplePercent} 100, on at 1.
 * Their rounds alternate, so a noisy machine hurts each alike. Traced nodes have the SDK a node builds for itself
 * (parent-based ratio sampler, batch processor, W3C propagation) with a no-op exporter that counts what it is given:
 * the network and the collector are not measured. Submits carry no {@code traceparent} (an untraced caller), so each
 * task is a new trace of one span, its attempt, kept at the sample rate; a second figure at 100 has every submit
 * carry a sampled {@code traceparent} (a traced caller: the bus receive span and the attempt span, both kept).
 *
 * <p>{@code mvn -B -q -Pbench verify -Dbench=tasks-tracing}
 */
final class TasksTracingBench {

  private static final int TASKS = 200_000;
  private static final int ROUNDS = 5;
  private static final int WARMUPS = 2;
  private static final String TYPE = "bench.traced";

  private TasksTracingBench() {
  }

  /** One contender: a node, how it is traced, what its exporter got. */
  private record Contender(String name, StewardNode node, TestCluster cluster, OpenTelemetrySdk sdk, AtomicLong exported,
                           Context sender, DeliveryOptions options) {
  }

  static void main() throws Exception {
    TaskTypes.register(TaskType.of(TYPE, ctx -> {
      TasksBench.count();
      return null;
    }));
    String caller = "00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01";
    List<Contender> contenders = List.of(
      start("off", null, new DeliveryOptions()),
      start("on, samplePercent 100", 100, new DeliveryOptions()),
      start("on, samplePercent 1", 1, new DeliveryOptions()),
      start("on, samplePercent 100, traced caller", 100, new DeliveryOptions().addHeader("traceparent", caller)));
    JsonObject task = new JsonObject().put("type", TYPE).put("supervisor", "bench");
    try {
      for (int w = 0; w < WARMUPS; w++) { // JIT, Hazelcast partitions, subscription caches
        for (Contender c : contenders) {
          TasksBench.throughput(c.sender(), TASKS, i -> c.node().vertx().eventBus().send(Addresses.Tasks.SUBMIT, task, c.options()));
        }
      }
      double[][] rates = new double[contenders.size()][ROUNDS];
      for (int r = 0; r < ROUNDS; r++) {
        StringBuilder line = new StringBuilder("  round " + (r + 1) + ":");
        for (int k = 0; k < contenders.size(); k++) {
          Contender c = contenders.get(k);
          rates[k][r] = TasksBench.throughput(c.sender(), TASKS,
            i -> c.node().vertx().eventBus().send(Addresses.Tasks.SUBMIT, task, c.options()));
          line.append(String.format(" %s %,.0f/s;", c.name(), rates[k][r]));
        }
        System.out.println(line);
      }
      for (int k = 0; k < contenders.size(); k++) {
        Contender c = contenders.get(k);
        if (c.sdk() != null) {
          c.sdk().getSdkTracerProvider().forceFlush().join(30, TimeUnit.SECONDS);
        }
        double rate = TasksBench.median(rates[k]);
        double[] ratio = new double[ROUNDS];
        for (int r = 0; r < ROUNDS; r++) {
          ratio[r] = rates[k][r] / rates[0][r];
        }
        System.out.printf("tasks-tracing: tracing %s: %,.0f tasks/s (median of %d rounds of %,d), %.0f%% of off "
            + "(median of the rounds' ratios)%s%n", c.name(), rate, ROUNDS, TASKS, 100 * TasksBench.median(ratio),
          c.sdk() == null ? "" : String.format("; %,d spans exported for %,d tasks", c.exported().get(),
            (long) TASKS * (ROUNDS + WARMUPS)));
      }
      System.out.println("tasks-tracing: one node per contender, 2 workers, one sender on an event loop; no-op exporter "
        + "behind OpenTelemetry's batch processor (queue 2048: spans beyond it are dropped, as on a real node); JVM "
        + Runtime.version().feature() + ", " + Runtime.getRuntime().availableProcessors() + " cores");
    } finally {
      for (Contender c : contenders) {
        c.node().stop(2_000).await(30, TimeUnit.SECONDS);
        c.cluster().close();
        if (c.sdk() != null) {
          c.sdk().close();
        }
      }
    }
  }

  private static Contender start(String name, Integer samplePercent, DeliveryOptions options) throws Exception {
    AtomicLong exported = new AtomicLong();
    OpenTelemetrySdk sdk = samplePercent == null ? null : OpenTelemetrySdk.builder()
      .setTracerProvider(SdkTracerProvider.builder()
        .setSampler(Sampler.parentBased(Sampler.traceIdRatioBased(samplePercent / 100.0)))
        .addSpanProcessor(BatchSpanProcessor.builder(new Counting(exported)).build())
        .build())
      .setPropagators(ContextPropagators.create(W3CTraceContextPropagator.getInstance()))
      .build();
    TestCluster cluster = TestCluster.create(TasksTracingBench.class, 1);
    JsonObject tasks = new JsonObject().put("supervisors", new JsonObject()
      .put("bench", new JsonObject().put("workers", 2).put("maxQueued", 100_000)));
    JsonObject config = cluster.config(List.of("tasks"), new JsonObject().put("tasks", tasks)
      .put("metrics", new JsonObject().put("vertx", false)));
    StewardNode node = StewardNode.start(config, sdk).await(60, TimeUnit.SECONDS);
    Vertx vertx = node.vertx();
    return new Contender(name, node, cluster, sdk, exported, TasksBench.idleEventLoop(vertx), options);
  }

  /** The exporter of a node whose spans are counted and dropped. */
  private record Counting(AtomicLong exported) implements SpanExporter {
    @Override
    public CompletableResultCode export(Collection<SpanData> spans) {
      exported.addAndGet(spans.size());
      return CompletableResultCode.ofSuccess();
    }

    @Override
    public CompletableResultCode flush() {
      return CompletableResultCode.ofSuccess();
    }

    @Override
    public CompletableResultCode shutdown() {
      return CompletableResultCode.ofSuccess();
    }
  }
}
