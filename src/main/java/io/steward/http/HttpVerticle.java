package io.steward.http;

import com.hazelcast.core.HazelcastInstance;
import io.micrometer.prometheusmetrics.PrometheusMeterRegistry;
import io.steward.bus.Addresses;
import io.steward.spi.Cluster;
import io.steward.bus.Endpoint;
import io.steward.bus.Failure;
import io.steward.edge.KeyStores;
import io.steward.bus.StewardException;
import io.steward.observe.Metrics;
import io.vertx.core.Future;
import io.vertx.core.Promise;
import io.vertx.core.VerticleBase;
import io.vertx.core.eventbus.DeliveryOptions;
import io.vertx.core.http.HttpServer;
import io.vertx.core.http.HttpServerOptions;
import io.vertx.core.json.JsonObject;
import io.vertx.ext.healthchecks.HealthChecks;
import io.vertx.ext.healthchecks.Status;
import io.vertx.ext.web.Router;
import io.vertx.ext.web.RoutingContext;
import io.vertx.ext.web.handler.BodyHandler;
import io.vertx.ext.web.healthchecks.HealthCheckHandler;
import io.vertx.micrometer.PrometheusScrapingHandler;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.util.List;
import java.util.concurrent.TimeUnit;

/**
 * The HTTP API. Every capability route forwards to the event bus; this verticle adds {@code /health},
 * {@code /metrics}, {@code /openapi.json} and the dashboard ({@link Dashboard}), and maps failures to statuses in
 * one place ({@link HttpErrors}).
 */
final class HttpVerticle extends VerticleBase {

  /** Every route group; each brings its OpenAPI fragment. */
  static List<Api> apis() {
    return List.of(new CoreApi(), new TasksApi(), new FanoutApi(), new ScheduleApi(), new CacheApi(), new WorkflowsApi());
  }

  private static final Logger LOG = LoggerFactory.getLogger(HttpVerticle.class);
  /** How long /health waits for the partition check (within the cluster check's 2 s) before it says "unknown". */
  private static final long SAFE_CHECK_MS = 1_500;

  private final HttpConfig config;
  /** The node's samples for the dashboard's charts, shared by the instances; one of them runs the sampling timer. */
  private final Series series;
  private long sampling = -1;
  private HttpServer server;
  /** The partition check in flight or last run (see {@link #clusterSafe}). */
  private volatile Future<Boolean> safeCheck;

  HttpVerticle(HttpConfig config, Series series) {
    this.config = config;
    this.series = series;
  }

  @Override
  public Future<?> start() {
    String nodeId = Cluster.nodeId(vertx);
    Router router = router(nodeId);
    if (series.claim(this)) {
      series.tick(); // the baseline: the first chart point comes one interval later
      sampling = vertx.setPeriodic(Series.INTERVAL_MS, t -> series.tick());
    }
    HttpServerOptions options = new HttpServerOptions().setHost(config.host()).setPort(config.port())
      .setMaxInitialLineLength(8192).setMaxHeaderSize(16384).setCompressionSupported(true)
      // A SockJS message over a WebSocket is capped like a request body.
      .setMaxWebSocketFrameSize(config.bodyLimitBytes()).setMaxWebSocketMessageSize(config.bodyLimitBytes());
    if (config.tls()) {
      options.setSsl(true).setKeyCertOptions(KeyStores.options(config.keyStore(), config.keyStorePassword()));
    }
    return vertx.createHttpServer(options)
      .requestHandler(router)
      .listen()
      .recover(err -> Future.failedFuture("cannot listen on " + config.host() + ":" + config.port() + ": "
        + err.getMessage() + " (choose another http.port / STEWARD_HTTP_PORT, or stop what holds it)"))
      .compose(s -> {
        server = s;
        String url = (config.tls() ? "https://" : "http://") + config.host() + ":" + s.actualPort();
        warnIfExposed(url);
        // Several instances share one server; the first registers the module's health on this node.
        return Endpoint.localConsumer(vertx, Addresses.moduleHealth(nodeId, "http"),
          msg -> new JsonObject().put("status", "UP").put("url", url)).completion().otherwiseEmpty();
      });
  }

  /** Listening beyond this machine without tokens, or with tokens in clear text, deserves a line in the log. */
  private void warnIfExposed(String url) {
    boolean loopback = config.host().startsWith("127.") || config.host().equals("localhost") || config.host().equals("::1");
    if (loopback) {
      return;
    }
    if (!config.tokens().required()) {
      LOG.warn("The HTTP API and the SockJS bridge on {} need no token: anyone who reaches this interface can use them; "
        + "set http.tokens (see docs/security.md)", url);
    } else if (!config.tls()) {
      LOG.warn("The HTTP API on {} receives its tokens in clear text: set http.keyStore, or put a TLS proxy in front "
        + "(see docs/security.md)", url);
    }
  }

  Router router(String nodeId) {
    Router router = Router.router(vertx);
    // Open to anyone who reaches the port, so load balancers need no token; every other route needs one.
    router.get("/health").handler(HealthCheckHandler.createWithHealthChecks(healthChecks(nodeId)));
    // The dashboard's files hold no data; the page asks for the token and sends it with every call.
    Dashboard.mount(router, config.tokens());
    router.route().handler(new TokenAuth(vertx, config.tokens()));
    router.route().handler(BodyHandler.create(false).setBodyLimit(config.bodyLimitBytes()));
    router.get("/openapi.json").handler(openApiHandler());
    PrometheusMeterRegistry prometheus = Metrics.registry(vertx) instanceof PrometheusMeterRegistry p ? p : null;
    router.get("/metrics").handler(prometheus != null ? PrometheusScrapingHandler.create(prometheus)
      : ctx -> HttpErrors.send(ctx, 404, "metrics are disabled on this node (metrics.enabled=false)", null));
    router.get("/metrics/series").handler(this::handleSeries);
    Forward forward = new Forward(vertx, config.requestTimeoutMs());
    for (Api api : apis()) {
      api.mount(router, forward);
    }
    forward.permit(config.targets());
    router.route(TokenAuth.BRIDGE_PATH + "/*").subRouter(SockJsBridge.router(vertx, config));
    router.errorHandler(404, ctx -> HttpErrors.send(ctx, 404, "no such route: " + ctx.request().method()
      + " " + ctx.request().path() + " (see /openapi.json)", null));
    router.errorHandler(405, ctx -> HttpErrors.send(ctx, 405, "method " + ctx.request().method()
      + " not allowed on " + ctx.request().path() + " (see /openapi.json)", null));
    router.route().failureHandler(HttpErrors::handle);
    return router;
  }

  /** {@code GET /metrics/series?since=}: this node's samples of the last 15 minutes (after {@code since}, epoch ms). */
  private void handleSeries(RoutingContext ctx) {
    JsonObject query = Query.integer(ctx, Query.only(ctx, "since"), "since");
    long since = query.getLong("since", 0L);
    if (since < 0) {
      throw StewardException.badRequest("since", "must be an epoch time in ms (0 or more), got " + since);
    }
    JsonObject body = series.since(since).put("node", Cluster.nodeId(vertx));
    ctx.response().putHeader("content-type", "application/json").putHeader("Cache-Control", "no-store").end(body.encode());
  }

  private io.vertx.core.Handler<io.vertx.ext.web.RoutingContext> openApiHandler() {
    String doc = OpenApi.build(apis()).encodePrettily();
    return ctx -> ctx.response().putHeader("content-type", "application/json").end(doc);
  }

  /** {@code cluster}: this member is running and in a cluster; {@code node}: the node and its modules are up. */
  private HealthChecks healthChecks(String nodeId) {
    HealthChecks checks = HealthChecks.create(vertx);
    checks.register("cluster", 2_000, promise -> {
      HazelcastInstance hz = Cluster.hazelcast(vertx);
      JsonObject data = new JsonObject().put("clusterName", hz.getConfig().getClusterName());
      if (!hz.getLifecycleService().isRunning()) {
        promise.complete(Status.KO(data.put("reason", "Hazelcast is not running")));
        return;
      }
      data.put("members", hz.getCluster().getMembers().size());
      io.steward.spi.StuckMigration stuck = io.steward.spi.StuckMigration.of(hz);
      if (stuck != null && stuck.stuck() != null) {
        promise.complete(Status.KO(data.put("reason", stuck.stuck())));
        return;
      }
      Future<Boolean> check = clusterSafe(hz);
      check.timeout(SAFE_CHECK_MS, TimeUnit.MILLISECONDS).onComplete(ar -> {
        if (ar.succeeded()) {
          data.put("safe", ar.result());
        } else {
          data.putNull("safe").put("safeReason", check.isComplete()
            ? "the partition check failed: " + ar.cause()
            : "the partition check did not answer within " + SAFE_CHECK_MS + " ms: a member is slow or frozen (it is "
              + "removed after cluster.failureDetectionSeconds)");
        }
        promise.complete(Status.OK(data));
      });
    });
    checks.register("node", 3_000, promise -> nodeHealth(nodeId, promise));
    return checks;
  }

  /**
   * Whether every partition is backed up. Hazelcast asks every member and waits for each (on a frozen member, until
   * it is declared dead), so this runs on a worker, one check at a time: a /health that comes while one is in
   * flight shares it rather than take another worker.
   */
  private Future<Boolean> clusterSafe(HazelcastInstance hz) {
    Future<Boolean> inFlight = safeCheck;
    if (inFlight == null || inFlight.isComplete()) {
      inFlight = vertx.executeBlocking(() -> hz.getPartitionService().isClusterSafe(), false);
      safeCheck = inFlight;
    }
    return inFlight;
  }

  private void nodeHealth(String nodeId, Promise<Status> promise) {
    vertx.eventBus().request(Addresses.node(nodeId, Addresses.Nodes.HEALTH), new JsonObject(),
        new DeliveryOptions().setSendTimeout(2_500).setLocalOnly(true))
      .onComplete(ar -> {
        if (ar.failed()) {
          String reason = Failure.of(ar.cause()) == Failure.UNAVAILABLE
            ? "the node is starting or shutting down" : ar.cause().getMessage();
          promise.complete(Status.KO(new JsonObject().put("reason", reason)));
          return;
        }
        JsonObject health = (JsonObject) ar.result().body();
        JsonObject modules = health.getJsonObject("modules");
        promise.complete("UP".equals(health.getString("status")) ? Status.OK(modules) : Status.KO(modules));
      });
  }

  @Override
  public Future<?> stop() {
    if (sampling >= 0) {
      vertx.cancelTimer(sampling);
      series.release(this);
    }
    return server == null ? Future.succeededFuture() : server.close();
  }
}
