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

/**
 * The OpenTelemetry SDK of a node with {@code tracing.enabled} (docs/tracing.md): W3C {@code traceparent}
 * propagation, parent-based sampling of {@code tracing.samplePercent} of new traces, spans batched to the OTLP/HTTP
 * endpoint. Not the global OpenTelemetry: each node of a JVM (tests) has its own.
 */
final class TracingSetup {

  private static final AttributeKey<String> SERVICE_NAME = AttributeKey.stringKey("service.name");
  private static final AttributeKey<String> SERVICE_INSTANCE = AttributeKey.stringKey("service.instance.id");

  private TracingSetup() {
  }

  /** The node's SDK; close it ({@link OpenTelemetrySdk#shutdown}) when the node stops, which sends what is left. */
  static OpenTelemetrySdk sdk(TracingConfig config, String nodeName) {
    Attributes attributes = nodeName == null ? Attributes.of(SERVICE_NAME, config.serviceName())
      : Attributes.of(SERVICE_NAME, config.serviceName(), SERVICE_INSTANCE, nodeName);
    SdkTracerProvider provider = SdkTracerProvider.builder()
      .setResource(Resource.getDefault().merge(Resource.create(attributes)))
      .setSampler(Sampler.parentBased(Sampler.traceIdRatioBased(config.samplePercent() / 100.0)))
      .addSpanProcessor(BatchSpanProcessor.builder(OtlpHttpSpanExporter.builder()
        .setEndpoint(config.otlpEndpoint()).build()).build())
      .build();
    return OpenTelemetrySdk.builder().setTracerProvider(provider).setPropagators(propagators()).build();
  }

  /** W3C trace context only: {@code traceparent} and {@code tracestate} headers, on HTTP and on the event bus. */
  static ContextPropagators propagators() {
    return ContextPropagators.create(W3CTraceContextPropagator.getInstance());
  }
}
