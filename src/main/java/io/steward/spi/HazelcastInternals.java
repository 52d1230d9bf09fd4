package io.steward.spi;

import com.hazelcast.core.HazelcastInstance;
import com.hazelcast.core.IndeterminateOperationStateException;
import com.hazelcast.internal.nearcache.NearCache;
import com.hazelcast.internal.serialization.SerializationService;
import com.hazelcast.internal.serialization.impl.HeapData;
import com.hazelcast.internal.serialization.Data;
import com.hazelcast.internal.util.ConcurrencyUtil;
import com.hazelcast.map.EntryProcessor;
import com.hazelcast.map.IMap;
import com.hazelcast.map.impl.MapService;
import com.hazelcast.map.impl.operation.MapOperation;
import com.hazelcast.map.impl.proxy.MapProxyImpl;
import com.hazelcast.map.impl.proxy.NearCachedMapProxyImpl;
import com.hazelcast.spi.impl.DelegatingCompletableFuture;
import com.hazelcast.spi.impl.NodeEngine;
import com.hazelcast.spi.impl.SerializationServiceSupport;
import com.hazelcast.internal.nio.Packet;
import com.hazelcast.spi.impl.operationservice.impl.responses.NormalResponse;

import java.lang.reflect.Field;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionException;
import java.util.concurrent.CompletionStage;
import java.util.function.BiConsumer;
import java.util.function.Function;

/**
 * Steward's one use of Hazelcast internals ({@code com.hazelcast.internal}, {@code ..impl..}: no compatibility
 * promise, changed in minor releases). Nothing else imports them (ArchitectureTest). Each method says which
 * public API is missing and what breaks on an upgrade; after a Hazelcast (or vertx-hazelcast) upgrade, compile,
 * then run the tests named here.
 */
public final class HazelcastInternals {

  /**
   * The class whose {@code shutdown} runs a leaving member's last write-behind flush ({@code flushMaps}).
   * Missing: a public event for "this member's last flush". On upgrade: if it is renamed, the store stops
   * spilling the last flush to disk when the database is down at shutdown (StoreOutageTest,
   * FullStopDuringOutageIT); nothing fails to compile, so run them.
   */
  private static final String LAST_FLUSH_CLASS = "com.hazelcast.map.impl.MapManagedService";

  private HazelcastInternals() {
  }

  /**
   * {@code map.set(key, value)} for every entry, completed once each set's synchronous backup has acknowledged it,
   * else failed with {@code IndeterminateOperationStateException} (no acknowledgement within
   * {@code hazelcast.operation.backup.timeout.millis}, or its member left) or the set's own failure. Used for durable
   * task records, which a submit acknowledges (campaign seed 107: {@code putAll} answers before any backup
   * acknowledgement). Missing: a public per-call "fail on indeterminate state"; the member-wide property changes
   * every module's retries.
   *
   * <p>The returned future completes on Hazelcast's default async executor, as the public API's futures run their
   * callbacks: an internal invocation's future completes on the partition or response thread that received the
   * answer, where Hazelcast refuses any remote call ("cannot make remote call"), so a caller that chains its next
   * map call on it (TaskStore's batch writer) would fail that call. (The first version of this fix did: 577-857 of
   * KillDuringTasksIT's 2 000 healthy submits refused 503; {@code TasksTest}'s burst case.)
   *
   * <p>On upgrade: if the operation provider or invocation builder changes, this stops compiling; a map that is not
   * Hazelcast's own proxy gets plain {@code setAsync}s (UnbackedSubmitTest then fails).
   */
  public static CompletableFuture<Void> backedSets(IMap<String, String> map, Map<String, String> entries) {
    CompletableFuture<?>[] sets = new CompletableFuture<?>[entries.size()];
    int i = 0;
    for (Map.Entry<String, String> e : entries.entrySet()) {
      sets[i++] = backedSet(map, e.getKey(), e.getValue());
    }
    CompletableFuture<Void> done = new CompletableFuture<>();
    CompletableFuture.allOf(sets).whenCompleteAsync((v, err) -> {
      if (err != null) {
        done.completeExceptionally(everyFailure(sets));
      } else {
        done.complete(null);
      }
    }, ConcurrencyUtil.getDefaultAsyncExecutor());
    return done;
  }

  /**
   * The first failure of {@code done} (all complete, one at least failed), with one of every other kind added to it
   * as suppressed: a caller that judges the outcome (was anything applied?) sees every kind, not whichever
   * {@code allOf} kept (a set refused by split-brain protection beside one whose member left: campaign seed 1003).
   */
  public static Throwable everyFailure(CompletableFuture<?>[] done) {
    Throwable first = null;
    for (CompletableFuture<?> f : done) {
      Throwable err = f.handle((v, e) -> e).join();
      if (err == null) {
        continue;
      }
      err = err instanceof CompletionException && err.getCause() != null ? err.getCause() : err;
      if (first == null) {
        first = err;
      } else if (err != first && !sameKind(first, err)) {
        first.addSuppressed(err);
      }
    }
    return first;
  }

  private static boolean sameKind(Throwable first, Throwable err) {
    if (first.getClass() == err.getClass()) {
      return true;
    }
    for (Throwable t : first.getSuppressed()) {
      if (t.getClass() == err.getClass()) {
        return true;
      }
    }
    return false;
  }

  private static CompletableFuture<?> backedSet(IMap<String, String> map, String key, String value) {
    if (!(map instanceof MapProxyImpl<?, ?> proxy)) {
      return map.setAsync(key, value).toCompletableFuture();
    }
    NodeEngine engine = proxy.getNodeEngine();
    Data dataKey = engine.toData(key);
    MapOperation op = ((MapService) proxy.getService()).getMapServiceContext().getMapOperationProvider(map.getName())
      .createSetOperation(map.getName(), dataKey, engine.toData(value), -1L, -1L);
    int partition = engine.getPartitionService().getPartitionId(dataKey);
    return invokeBacked(engine, op, partition);
  }

  /**
   * Invokes a map write that fails with {@code IndeterminateOperationStateException} rather than succeed when its
   * synchronous backup does not acknowledge it, or when its owner leaves mid-call. A missed acknowledgement whose
   * owner did answer gets a second chance ({@link MissedBackups}): the answer is kept, and given once the cluster is
   * safe with no member removed meanwhile (a migration drops backups without acknowledging them). Completes on the
   * thread that got the answer, or on MissedBackups' own thread.
   *
   * <p>On upgrade: the owner's answer is read from the invocation ({@code InvocationFuture.invocation},
   * {@code BaseInvocation.pendingResponse}); if they are renamed, every missed acknowledgement stays a failure
   * (correct, as before; MissedBackupsTest fails: run it).
   */
  private static CompletableFuture<Object> invokeBacked(NodeEngine engine, MapOperation op, int partition) {
    MissedBackups missed = MissedBackups.of(engine.getHazelcastInstance());
    MissedBackups.Sent sent = missed.sent();
    CompletableFuture<Object> invoked = engine.getOperationService()
      .createInvocationBuilder(MapService.SERVICE_NAME, op, partition)
      .setFailOnIndeterminateOperationState(true)
      .invoke();
    CompletableFuture<Object> result = new CompletableFuture<>();
    invoked.whenComplete((r, err) -> {
      if (err == null) {
        result.complete(r);
        return;
      }
      Throwable e = err instanceof CompletionException && err.getCause() != null ? err.getCause() : err;
      // Missed acknowledgements only: a member that left fails it with MemberLeftException as the cause.
      Object answer = e instanceof IndeterminateOperationStateException && e.getCause() == null
        ? ownerAnswer(engine, invoked) : NO_ANSWER;
      if (answer == NO_ANSWER) {
        result.completeExceptionally(err);
        return;
      }
      missed.confirm(sent).whenComplete((ok, never) -> {
        if (Boolean.TRUE.equals(ok)) {
          result.complete(answer);
        } else {
          result.completeExceptionally(err);
        }
      });
    });
    return result;
  }

  private static final Object NO_ANSWER = new Object();
  private static final Field INVOCATION = field("com.hazelcast.spi.impl.operationservice.impl.InvocationFuture", "invocation");
  private static final Field PENDING_RESPONSE = field("com.hazelcast.spi.impl.operationservice.impl.BaseInvocation",
    "pendingResponse");

  private static Field field(String className, String name) {
    try {
      Field f = Class.forName(className).getDeclaredField(name);
      f.setAccessible(true);
      return f;
    } catch (ReflectiveOperationException | RuntimeException e) {
      return null;
    }
  }

  /** The owner's answer an invocation holds while it waits for backup acknowledgements, or NO_ANSWER. */
  private static Object ownerAnswer(NodeEngine engine, CompletableFuture<?> invoked) {
    if (INVOCATION == null || PENDING_RESPONSE == null || !INVOCATION.getDeclaringClass().isInstance(invoked)) {
      return NO_ANSWER;
    }
    try {
      Object answer = PENDING_RESPONSE.get(INVOCATION.get(invoked));
      // From a remote owner, the response's packet, read as InvocationFuture.resolve does (campaign seed 1013: handed
      // on as the value, it failed the cache's cast, a 500); from this member, the value itself.
      if (answer instanceof Packet packet) {
        answer = engine.toObject(packet);
      }
      if (answer instanceof NormalResponse response) {
        return response.getValue();
      }
      // Hazelcast's placeholders (no answer yet, a timeout) are instances of its InvocationConstant.
      return answer != null && answer.getClass().getSimpleName().equals("InvocationConstant") ? NO_ANSWER : answer;
    } catch (ReflectiveOperationException | RuntimeException e) {
      return NO_ANSWER;
    }
  }

  /**
   * Reads {@code map}'s near cache on this member without going remote: the value it holds for {@code key}
   * (or null), or null for the whole function when the map has no near cache. Missing: {@code IMap} has no
   * "near cache only" read; {@code get} goes remote on a miss, and the cache's event-loop fast path must not
   * block. On upgrade: if the proxy class changes, this returns null for every map and every read takes the
   * async path (correct, slower: CacheBench shows it; CacheClusterTest still passes).
   */
  public static Function<Object, Object> nearCacheReader(IMap<?, ?> map) {
    if (map instanceof NearCachedMapProxyImpl<?, ?> proxy) {
      NearCache<Object, Object> near = proxy.getNearCache();
      return near::get;
    }
    return null;
  }

  /**
   * Calls {@code callback} on the thread that completes {@code stage}, without the hop through the common
   * ForkJoinPool that Hazelcast's public async results ({@code DelegatingCompletableFuture}) make for every
   * callback (one more thread wake-up per operation, expensive on two cores). Returns false, having done
   * nothing, when {@code stage} is not such a future. Missing: an executor argument Hazelcast honours for its
   * own callbacks. On upgrade: if the class changes, callers fall back to {@code whenCompleteAsync} on the
   * stage (correct, slower: HzTest, CacheBench).
   */
  @SuppressWarnings("unchecked")
  public static <T> boolean whenDoneWithoutHop(CompletionStage<T> stage, BiConsumer<T, Throwable> callback) {
    if (!(stage instanceof DelegatingCompletableFuture<?> delegating
      && delegating.getDelegate() instanceof CompletableFuture<?> inner)) {
      return false;
    }
    inner.whenCompleteAsync((raw, err) -> {
      if (err != null) {
        callback.accept(null, err);
        return;
      }
      T value;
      try {
        value = (T) delegating.join(); // deserializes the result the inner future holds
      } catch (Throwable t) {
        callback.accept(null, t);
        return;
      }
      callback.accept(value, null);
    }, Runnable::run);
    return true;
  }

  /**
   * {@code map.submitToKey(key, processor)}, except that it fails with Hazelcast's
   * {@code IndeterminateOperationStateException} instead of succeeding when the synchronous backup does not
   * acknowledge the write within {@code hazelcast.operation.backup.timeout.millis} (5 s), or when the owner leaves
   * mid-call. By default Hazelcast answers such a write as a success, although only the owner applied it: if the
   * owner then dies before its backups are repaired, the write is gone (campaign seed 33535: a partition nobody had
   * detected yet, then a kill). Missing: a per-call "fail on indeterminate state" in {@code IMap} (only a
   * member-wide property, which would change every other caller's retries). On upgrade: if the proxy or operation
   * provider changes, this stops compiling; a map that is not Hazelcast's own proxy gets plain {@code submitToKey}
   * (UnconfirmedFinalRecordTest then fails: run it). A near-cached map's entry on this member is invalidated as the
   * proxy's own {@code submitToKey} does (CacheClusterTest's near-cache case fails otherwise).
   */
  public static <K, V, R> CompletionStage<R> submitToKeyConfirmed(IMap<K, V> map, K key, EntryProcessor<K, V, R> processor) {
    return submitToKeyConfirmed(map, key, processor, ConcurrencyUtil.getDefaultAsyncExecutor());
  }

  /**
   * {@link #submitToKeyConfirmed(IMap, Object, EntryProcessor)}, completing the result on {@code callbacks}: the
   * cache, whose dependents make no Hazelcast call (they reply on the bus, or schedule a retry on a timer), passes
   * {@code Runnable::run} and spares the thread hop of every write, as {@link #whenDoneWithoutHop} does for its reads.
   */
  public static <K, V, R> CompletionStage<R> submitToKeyConfirmed(IMap<K, V> map, K key, EntryProcessor<K, V, R> processor,
                                                                  java.util.concurrent.Executor callbacks) {
    if (!(map instanceof MapProxyImpl<?, ?> proxy)) {
      return map.submitToKey(key, processor);
    }
    NodeEngine engine = proxy.getNodeEngine();
    Data dataKey = engine.toData(key);
    MapOperation op = ((MapService) proxy.getService()).getMapServiceContext().getMapOperationProvider(map.getName())
      .createEntryOperation(map.getName(), dataKey, processor);
    int partition = engine.getPartitionService().getPartitionId(dataKey);
    CompletableFuture<Object> invoked = invokeBacked(engine, op, partition);
    if (proxy instanceof NearCachedMapProxyImpl<?, ?> near) {
      // What the near-cached proxy's own submitToKey does once it has sent the operation: this member's near cache
      // forgets the key at once, so that this node reads its own write (other members hear of it by invalidation
      // events). The near cache holds the key as the object, or serialized (serializeKeys), as the proxy does.
      NearCache<Object, Object> cache = near.getNearCache();
      cache.invalidate(cache.isSerializeKeys() ? dataKey : key);
    }
    // An internal invocation's future completes on the Hazelcast thread that got the answer (a partition or response
    // thread), where a dependent that makes a remote call is refused ("cannot make remote call"): its dependents run
    // on Hazelcast's default async executor instead, as the public API's futures do.
    // Success and failure alike (a failure may come from the invocation monitor's thread after a member's death).
    CompletableFuture<R> result = new CompletableFuture<>();
    invoked.whenComplete((r, err) -> callbacks.execute(() -> {
      if (err != null) {
        result.completeExceptionally(err);
        return;
      }
      try {
        @SuppressWarnings("unchecked")
        R value = (R) engine.toObject(r);
        result.complete(value);
      } catch (RuntimeException e) {
        result.completeExceptionally(e);
      }
    }));
    return result;
  }

  /** A member's own serialization: the bytes Hazelcast would store for a value, and back. */
  public interface Serialization {
    byte[] toBytes(Object value);

    Object toObject(byte[] bytes);
  }

  /**
   * The member's serialization service, so the store writes the bytes Hazelcast itself stores (any value type a
   * module puts, with the member's serializers). Missing: public serialization of an arbitrary value to bytes.
   * On upgrade: if {@code SerializationServiceSupport} or {@code HeapData} change, the store stops compiling;
   * a changed byte format would make stored rows unreadable (logged, counted as rejected: StoreNodeTest,
   * DatabaseTest).
   */
  public static Serialization serialization(HazelcastInstance instance) {
    SerializationService ss = ((SerializationServiceSupport) instance).getSerializationService();
    return new Serialization() {
      @Override
      public byte[] toBytes(Object value) {
        return ss.toData(value).toByteArray();
      }

      @Override
      public Object toObject(byte[] bytes) {
        return ss.toObject(new HeapData(bytes));
      }
    };
  }

  /** Whether the calling thread runs a leaving member's last write-behind flush (see {@link #LAST_FLUSH_CLASS}). */
  public static boolean inLastFlush() {
    return StackWalker.getInstance().walk(frames -> frames.anyMatch(f -> LAST_FLUSH_CLASS.equals(f.getClassName())));
  }
}
