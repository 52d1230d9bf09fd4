package io.steward.client;

import io.vertx.core.Future;
import io.vertx.core.Vertx;
import io.vertx.spi.cluster.hazelcast.HazelcastClusterManager;

import java.util.Objects;

/**
 * A typed client of a Steward cluster for a Vert.x application: {@link #tasks()}, {@link #workflows()},
 * {@link #fanout()}, {@link #schedule()} and {@link #cache(String)}, each call a {@link Future} of a small record,
 * each failure a {@link StewardException} with its code. It needs vertx-core and vertx-hazelcast of the nodes'
 * Hazelcast minor version (5.6), and nothing of Steward's server.
 *
 * <pre>{@code
 * StewardClient.join(ClientOptions.defaults().clusterName("steward"))
 *   .compose(steward -> steward.tasks().run("echo", "hi"))
 *   .onSuccess(task -> System.out.println(task.result()));
 * }</pre>
 */
public final class StewardClient {

  private final Bus bus;
  private final boolean owned;
  private final LocalComputes computes;

  private StewardClient(Bus bus, boolean owned, LocalComputes computes) {
    this.bus = bus;
    this.owned = owned;
    this.computes = computes;
  }

  /**
   * Joins the cluster as a Hazelcast lite member (it holds no data, so it may come and go freely) with a Vert.x of
   * its own, closed by {@link #close()}.
   */
  public static Future<StewardClient> join(ClientOptions options) {
    return Vertx.builder().with(options.vertxOptions())
      .withClusterManager(new HazelcastClusterManager(options.hazelcastConfig()))
      .buildClustered()
      .map(vertx -> {
        Bus bus = new Bus(vertx, options.requestTimeout().toMillis(), null);
        return new StewardClient(bus, true, new LocalComputes(bus));
      });
  }

  /** A client on a clustered Vert.x the application has already (joined to the nodes' cluster). */
  public static StewardClient create(Vertx vertx) {
    return create(vertx, ClientOptions.defaults());
  }

  /** A client on {@code vertx}; of the options only {@code requestTimeout} applies. */
  public static StewardClient create(Vertx vertx, ClientOptions options) {
    Objects.requireNonNull(vertx, "vertx");
    if (!vertx.isClustered()) {
      throw new IllegalArgumentException("vertx: not clustered; join the Steward cluster first (or use join)");
    }
    Bus bus = new Bus(vertx, options.requestTimeout().toMillis(), null);
    return new StewardClient(bus, false, new LocalComputes(bus));
  }

  /** A client on any Vert.x, clustered or not (tests answer the addresses in one JVM). */
  static StewardClient over(Vertx vertx, long requestTimeoutMs) {
    Bus bus = new Bus(vertx, requestTimeoutMs, null);
    return new StewardClient(bus, false, new LocalComputes(bus));
  }

  /** The same client, retrying failed calls by {@code retry} (see {@link Retry} for which and how). */
  public StewardClient withRetry(Retry retry) {
    Bus retrying = bus.withRetry(Objects.requireNonNull(retry, "retry"));
    return new StewardClient(retrying, owned, computes);
  }

  public Tasks tasks() {
    return new Tasks(bus);
  }

  public Workflows workflows() {
    return new Workflows(bus);
  }

  public Fanout fanout() {
    return new Fanout(bus);
  }

  public Schedule schedule() {
    return new Schedule(bus);
  }

  public Cache cache(String name) {
    return new Cache(bus, Objects.requireNonNull(name, "name"), computes);
  }

  public Vertx vertx() {
    return bus.vertx;
  }

  /**
   * Leaves the cluster if {@link #join} joined it; a client {@link #create}d on your Vert.x only unregisters the
   * address its compute functions are asked on.
   */
  public Future<Void> close() {
    return owned ? bus.vertx.close() : computes.close();
  }
}
