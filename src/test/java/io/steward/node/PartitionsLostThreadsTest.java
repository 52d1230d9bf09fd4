package io.steward.node;

import com.hazelcast.config.Config;
import com.hazelcast.core.HazelcastInstance;
import com.hazelcast.partition.PartitionService;
import io.vertx.core.Context;
import io.vertx.core.Vertx;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

import java.lang.reflect.Proxy;
import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import java.util.UUID;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * Campaign seed 2077 (five nodes, a partition): a node stopped (restarted for a clock fault) while the partition
 * lasted blocked its event loop 5.4 s, removing its partition-lost listener: Hazelcast waits for every member to
 * deregister it, and some could not be reached. Registering waits the same way (at start). Both must run off the
 * event loop. The partition service here records the thread of each call (the registration itself is Hazelcast's;
 * PartitionsLostTest has the real one).
 */
class PartitionsLostThreadsTest {

  private final Vertx vertx = Vertx.vertx();

  @AfterEach
  void close() throws Exception {
    vertx.close().await(10, TimeUnit.SECONDS);
  }

  @Test
  void the_partition_lost_listener_is_registered_and_removed_off_the_event_loop() throws Exception {
    List<String> calls = Collections.synchronizedList(new ArrayList<>());
    CompletableFuture<Void> removed = new CompletableFuture<>();
    PartitionService partitions = (PartitionService) Proxy.newProxyInstance(getClass().getClassLoader(),
      new Class<?>[] {PartitionService.class}, (proxy, method, args) -> {
        String where = Context.isOnEventLoopThread() ? "event loop" : Thread.currentThread().getName();
        calls.add(method.getName() + " on " + where);
        return switch (method.getName()) {
          case "addPartitionLostListener" -> UUID.randomUUID();
          case "removePartitionLostListener" -> {
            removed.complete(null);
            yield true;
          }
          default -> throw new UnsupportedOperationException(method.getName());
        };
      });
    Config config = new Config();
    HazelcastInstance hz = (HazelcastInstance) Proxy.newProxyInstance(getClass().getClassLoader(),
      new Class<?>[] {HazelcastInstance.class}, (proxy, method, args) -> switch (method.getName()) {
        case "getPartitionService" -> partitions;
        case "getConfig" -> config;
        default -> throw new UnsupportedOperationException(method.getName());
      });

    CompletableFuture<PartitionsLost> started = new CompletableFuture<>();
    vertx.getOrCreateContext().runOnContext(v -> new PartitionsLost(vertx, hz).start(null)
      .onComplete(ar -> {
        if (ar.failed()) {
          started.completeExceptionally(ar.cause());
        } else {
          started.complete(ar.result());
        }
      }));
    PartitionsLost lost = started.get(10, TimeUnit.SECONDS);
    vertx.getOrCreateContext().runOnContext(v -> lost.stop());
    removed.get(10, TimeUnit.SECONDS);

    assertThat(calls).hasSize(2).allSatisfy(c -> assertThat(c).doesNotEndWith("on event loop"));
  }
}
