package io.steward.observe;

import io.opentelemetry.api.OpenTelemetry;
import io.opentelemetry.api.common.AttributeKey;
import io.opentelemetry.api.trace.Span;
import io.opentelemetry.api.trace.SpanBuilder;
import io.opentelemetry.api.trace.StatusCode;
import io.opentelemetry.api.trace.Tracer;
import io.opentelemetry.context.Context;
import io.opentelemetry.context.Scope;
import io.vertx.core.Future;
import io.vertx.core.Vertx;
import io.vertx.core.json.JsonObject;
import io.opentelemetry.context.propagation.TextMapGetter;

import java.util.Map;
import java.util.WeakHashMap;
import java.util.function.Supplier;

/**
 * The OpenTelemetry of a Vert.x instance (docs/tracing.md), bound by the node when {@code tracing.enabled} is on.
 * Vert.x itself traces HTTP requests and event-bus hops (vertx-opentelemetry), keeping the current span in the
 * Vert.x context, where {@link Context#current()} finds it; modules add spans where Steward's work happens (a task
 * attempt, a schedule tick, a fan-out item, a cache compute) through {@link #tracer}, which is null when tracing
 * is off, so that a module tests one field and does nothing more. Several nodes in one JVM (tests) each keep their own.
 */
public final class Tracing {

  /** The instrumentation scope of Steward's own spans. */
  public static final String SCOPE = "io.steward";

  public static final AttributeKey<String> NODE = AttributeKey.stringKey("steward.node");
  public static final AttributeKey<String> TASK_ID = AttributeKey.stringKey("steward.task.id");
  public static final AttributeKey<String> TASK_TYPE = AttributeKey.stringKey("steward.task.type");
  public static final AttributeKey<Long> TASK_ATTEMPT = AttributeKey.longKey("steward.task.attempt");
  public static final AttributeKey<String> SUPERVISOR = AttributeKey.stringKey("steward.supervisor");
  public static final AttributeKey<String> JOB = AttributeKey.stringKey("steward.schedule.job");
  public static final AttributeKey<Long> TICK = AttributeKey.longKey("steward.schedule.tick");
  public static final AttributeKey<Boolean> TRIGGER = AttributeKey.booleanKey("steward.schedule.trigger");
  public static final AttributeKey<String> ADDRESS = AttributeKey.stringKey("steward.address");
  public static final AttributeKey<Long> ITEM = AttributeKey.longKey("steward.fanout.item");
  public static final AttributeKey<String> VERB = AttributeKey.stringKey("steward.fanout.verb");
  public static final AttributeKey<Long> ITEMS = AttributeKey.longKey("steward.fanout.items");
  public static final AttributeKey<String> CACHE = AttributeKey.stringKey("steward.cache");

  private static final Map<Vertx, OpenTelemetry> BOUND = new WeakHashMap<>();

  private Tracing() {
  }

  public static synchronized void bind(Vertx vertx, OpenTelemetry openTelemetry) {
    BOUND.put(vertx, openTelemetry);
  }

  /** The OpenTelemetry bound to this Vert.x, or null when tracing is off. */
  public static synchronized OpenTelemetry openTelemetry(Vertx vertx) {
    return BOUND.get(vertx);
  }

  /** Reads W3C trace context from a bridge frame's {@code headers} object. */
  private static final TextMapGetter<JsonObject> FRAME_HEADERS = new TextMapGetter<>() {
    @Override
    public Iterable<String> keys(JsonObject headers) {
      return headers.fieldNames();
    }

    @Override
    public String get(JsonObject headers, String key) {
      return headers == null || !(headers.getValue(key) instanceof String v) ? null : v;
    }
  };

  /**
   * Makes the caller's trace context current, taken from a bridge frame's {@code headers} ({@code traceparent},
   * {@code tracestate}), so that the bus send made inside the scope is a child of the caller's span whatever the
   * connection's own context holds (a SockJS frame that came in an HTTP POST is inside that request's span).
   * A no-op scope when {@code otel} is null or the headers carry no {@code traceparent}.
   */
  public static Scope joinCaller(OpenTelemetry otel, JsonObject headers) {
    if (otel == null || headers == null || !(headers.getValue("traceparent") instanceof String)) {
      return Scope.noop();
    }
    return otel.getPropagators().getTextMapPropagator().extract(Context.root(), headers, FRAME_HEADERS).makeCurrent();
  }

  /** Steward's tracer on this Vert.x, or null when tracing is off. Look it up once (start of a verticle), not per message. */
  public static synchronized Tracer tracer(Vertx vertx) {
    OpenTelemetry otel = BOUND.get(vertx);
    return otel == null ? null : otel.getTracer(SCOPE);
  }

  /** The current trace context (the span Vert.x holds for the message or request being handled), or null without a tracer. */
  public static Context current(Tracer tracer) {
    return tracer == null ? null : Context.current();
  }

  /** A span builder under {@code parent} (null: the current context), or null without a tracer. */
  public static SpanBuilder span(Tracer tracer, String name, Context parent) {
    if (tracer == null) {
      return null;
    }
    return tracer.spanBuilder(name).setParent(parent != null ? parent : Context.current());
  }

  /**
   * Runs {@code work} with {@code span} current (null: just runs it), so that what it sends on the event bus is
   * traced as the span's child and carries its {@code traceparent}; the span is not ended here.
   */
  public static <T> T within(Span span, Supplier<T> work) {
    if (span == null) {
      return work.get();
    }
    Scope scope = span.makeCurrent();
    try {
      return work.get();
    } finally {
      scope.close();
    }
  }

  /** {@link #within}, then ends the span when the future completes (as an error if it fails). */
  public static <T> Future<T> traced(Span span, Supplier<Future<T>> work) {
    if (span == null) {
      return work.get();
    }
    Future<T> f;
    try {
      f = within(span, work);
    } catch (RuntimeException e) {
      end(span, message(e));
      throw e;
    }
    return f.andThen(ar -> end(span, ar.failed() ? message(ar.cause()) : null));
  }

  static String message(Throwable t) {
    return t.getMessage() != null ? t.getMessage() : t.getClass().getSimpleName();
  }

  /** Ends {@code span} (null: nothing), as an error when {@code error} is not null. */
  public static void end(Span span, String error) {
    if (span == null) {
      return;
    }
    if (error != null) {
      span.setStatus(StatusCode.ERROR, error);
    }
    span.end();
  }
}
