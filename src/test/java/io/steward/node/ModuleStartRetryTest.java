package io.steward.node;

import io.steward.spi.StewardModule;
import io.vertx.core.Future;
import io.vertx.core.Vertx;
import io.vertx.core.json.JsonObject;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * Campaign seed 1036: a node restarted while partitions were migrating exited for good: "Steward could not start:
 * module 'tasks' failed to start: Partition is migrating! … PutOperation". Hazelcast refuses an operation on a moving
 * partition before running it, and the refusal does not last: the start is retried, as one refused by split-brain
 * protection is.
 */
class ModuleStartRetryTest {

  private final Vertx vertx = Vertx.vertx();

  @AfterEach
  void close() throws Exception {
    vertx.close().await(10, TimeUnit.SECONDS);
  }

  /** A module whose first {@code failures} starts fail with {@code error}. */
  private static StewardModule failingFirst(int failures, RuntimeException error, AtomicInteger starts) {
    return new StewardModule() {
      @Override
      public String name() {
        return "flaky";
      }

      @Override
      public List<io.steward.spi.Setting> settings() {
        return List.of();
      }

      @Override
      public void validate(JsonObject section) {
      }

      @Override
      public Future<String> deploy(Vertx v, JsonObject section) {
        return starts.incrementAndGet() <= failures ? Future.failedFuture(error) : Future.succeededFuture("deployed");
      }
    };
  }

  @Test
  void a_module_start_refused_because_partitions_are_moving_is_retried() throws Exception {
    NodeConfig config = StewardNode.configLoader().resolve(new JsonObject(), Map.of(), Map.of());
    AtomicInteger starts = new AtomicInteger();
    RuntimeException migrating = new com.hazelcast.spi.exception.PartitionMigratingException(
      "Partition is migrating! this: [10.128.13.3]:5701, partitionId: 25");
    String id = StewardNode.deployModule(vertx, config, "flaky", failingFirst(2, migrating, starts))
      .await(30, TimeUnit.SECONDS);
    assertThat(id).isEqualTo("deployed");
    assertThat(starts.get()).isEqualTo(3);
  }

  @Test
  void any_other_failure_of_a_module_start_is_not_retried() {
    NodeConfig config = StewardNode.configLoader().resolve(new JsonObject(), Map.of(), Map.of());
    AtomicInteger starts = new AtomicInteger();
    Future<String> start = StewardNode.deployModule(vertx, config, "flaky",
      failingFirst(1, new IllegalStateException("port in use"), starts));
    Throwable failed = start.transform(ar -> Future.succeededFuture(ar.cause())).await();
    assertThat(failed).hasMessage("port in use");
    assertThat(starts.get()).isEqualTo(1);
  }
}
