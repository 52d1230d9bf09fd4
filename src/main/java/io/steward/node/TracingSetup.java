package io.steward.node;

import io.opentelemetry.api.common.Attributes;
import io.opentelemetry.api.trace.propagation.W3CTraceContextPropagator;
import io.opentelemetry.context.propagation.ContextPropagators;
import io.opentelemetry.exporter.otlp.http.trace.OtlpHttpSpanExporter;
import io.opentelemetry.sdk.OpenTelemetrySdk;
import io.opentelemetry.sdk.resources.Resource;
import io.opentelemetry.sdk.trace.SdkTracerProvider;
import io.opentelemetry.sdk.trace.export.BatchSpanProcessor;
import io.opentelemetry.sdk.trace.samplers.Sampler;
import io.opentelemetry.api.common.AttributeKey;
import io.opentelemetry.sdk.common.CompletableResultCode;
import io.opentelemetry.sdk.trace.data.SpanData;
import io.opentelemetry.sdk.trace.export.SpanExporter;
import io.steward.observe.RateLimitedLog;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.util.Collection;
import java.util.logging.Level;

/**
 * The OpenTelemetry SDK of a node with {@code tracing.enabled} (docs/tracing.md): W3C {@code traceparent}
 * propagation, parent-based sampling of {@code tracing.samplePercent} of new traces, spans batched to the OTLP/HTTP
 * endpoint. Not the global OpenTelemetry: each node of a JVM (tests) has its own.
 */
final class TracingSetup {

  private static final AttributeKey<String> SERVICE_NAME = AttributeKey.stringKey("service.name");
  private static final AttributeKey<String> SERVICE_INSTANCE = AttributeKey.stringKey("service.instance.id");
  private static final Logger LOG = LoggerFactory.getLogger(TracingSetup.class);
  private static final RateLimitedLog FAILURES = new RateLimitedLog(LOG, 60_000);
  /**
   * The OTLP exporter reports a failed export on java.util.logging, as a SEVERE stack trace outside the node's log
   * format; {@link Reporting} says it once a minute in one WARN line instead. Held here: JUL keeps loggers weakly.
   */
  private static final java.util.logging.Logger EXPORTER_JUL = java.util.logging.Logger.getLogger("io.opentelemetry.exporter");

  private TracingSetup() {
  }

  /** The node's SDK; close it ({@link OpenTelemetrySdk#shutdown}) when the node stops, which sends what is left. */
  static OpenTelemetrySdk sdk(TracingConfig config, String nodeName) {
    Attributes attributes = nodeName == null ? Attributes.of(SERVICE_NAME, config.serviceName())
      : Attributes.of(SERVICE_NAME, config.serviceName(), SERVICE_INSTANCE, nodeName);
    SdkTracerProvider provider = SdkTracerProvider.builder()
      .setResource(Resource.getDefault().merge(Resource.create(attributes)))
      .setSampler(Sampler.parentBased(Sampler.traceIdRatioBased(config.samplePercent() / 100.0)))
      .addSpanProcessor(BatchSpanProcessor.builder(new Reporting(OtlpHttpSpanExporter.builder()
        .setEndpoint(config.otlpEndpoint()).build(), config.otlpEndpoint())).build())
      .build();
    return OpenTelemetrySdk.builder().setTracerProvider(provider).setPropagators(propagators()).build();
  }

  /** The OTLP exporter, whose failures go to the node's log as one WARN line a minute that says what to do. */
  private static final class Reporting implements SpanExporter {
    private final SpanExporter exporter;
    private final String endpoint;

    Reporting(SpanExporter exporter, String endpoint) {
      EXPORTER_JUL.setLevel(Level.OFF);
      this.exporter = exporter;
      this.endpoint = endpoint;
    }

    @Override
    public CompletableResultCode export(Collection<SpanData> spans) {
      CompletableResultCode result = exporter.export(spans);
      int count = spans.size();
      result.whenComplete(() -> {
        if (!result.isSuccess()) {
          Throwable cause = result.getFailureThrowable();
          FAILURES.warn("export", "Could not send " + count + " span(s) to " + endpoint + " ("
            + (cause == null ? "the collector refused them" : cause.toString()) + "); they are dropped. Tracing "
            + "does not slow the node down, but traces are incomplete until a collector answers there: start it, or "
            + "fix tracing.otlpEndpoint");
        }
      });
      return result;
    }

    @Override
    public CompletableResultCode flush() {
      return exporter.flush();
    }

    @Override
    public CompletableResultCode shutdown() {
      return exporter.shutdown();
    }
  }

  /** W3C trace context only: {@code traceparent} and {@code tracestate} headers, on HTTP and on the event bus. */
  static ContextPropagators propagators() {
    return ContextPropagators.create(W3CTraceContextPropagator.getInstance());
  }
}
