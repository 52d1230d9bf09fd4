package io.steward.schedule;

import com.hazelcast.map.IMap;
import io.steward.testing.Poll;
import io.vertx.core.Context;
import io.vertx.core.Future;
import io.vertx.core.Promise;
import io.vertx.core.Vertx;
import org.junit.jupiter.api.Test;

import java.lang.reflect.Proxy;
import java.util.Map;
import java.util.Set;
import java.util.UUID;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.TimeUnit;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * Adding or removing a Hazelcast map listener waits for an answer from every member (IMap has no async form): the
 * jobs map's listener must be added and removed on a worker, never on the event loop that starts or stops the
 * module, or one slow member stalls that loop.
 */
class JobStoreListenerTest {

  @Test
  void the_jobs_listener_is_added_and_removed_off_the_event_loop() throws Exception {
    Map<String, String> threads = new ConcurrentHashMap<>();
    @SuppressWarnings("unchecked")
    IMap<String, String> map = (IMap<String, String>) Proxy.newProxyInstance(getClass().getClassLoader(),
      new Class<?>[] {IMap.class}, (proxy, method, args) -> switch (method.getName()) {
        case "addEntryListener" -> {
          threads.put("add", Thread.currentThread().getName() + (Context.isOnEventLoopThread() ? " (event loop)" : ""));
          yield UUID.randomUUID();
        }
        case "removeEntryListener" -> {
          threads.put("remove", Thread.currentThread().getName() + (Context.isOnEventLoopThread() ? " (event loop)" : ""));
          yield true;
        }
        case "entrySet" -> Set.of();
        default -> throw new UnsupportedOperationException(method.getName());
      });
    Vertx vertx = Vertx.vertx();
    try {
      com.hazelcast.core.LifecycleService lifecycle = (com.hazelcast.core.LifecycleService) java.lang.reflect.Proxy
        .newProxyInstance(getClass().getClassLoader(), new Class<?>[] {com.hazelcast.core.LifecycleService.class},
          (proxy, method, args) -> switch (method.getName()) {
            case "addLifecycleListener" -> UUID.randomUUID();
            case "removeLifecycleListener" -> true;
            default -> throw new UnsupportedOperationException(method.getName());
          });
      JobStore store = new JobStore(vertx, map, lifecycle);
      Promise<Void> started = Promise.promise();
      vertx.runOnContext(v -> store.start().onComplete(started));
      started.future().await(20, TimeUnit.SECONDS);
      vertx.runOnContext(v -> store.stop());
      Poll.until(vertx, "the listener removed", 20_000, () -> Future.succeededFuture(threads.containsKey("remove")))
        .await(30, TimeUnit.SECONDS);
      assertThat(threads.get("add")).as("added on").doesNotContain("(event loop)");
      assertThat(threads.get("remove")).as("removed on").doesNotContain("(event loop)");
    } finally {
      vertx.close().await(20, TimeUnit.SECONDS);
    }
  }
}
