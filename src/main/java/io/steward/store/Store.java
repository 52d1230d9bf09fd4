package io.steward.store;

import com.hazelcast.cluster.Member;
import com.hazelcast.config.Config;
import com.hazelcast.config.MapConfig;
import com.hazelcast.config.MapStoreConfig;
import com.hazelcast.core.HazelcastInstance;
import com.hazelcast.map.EntryLoader.MetadataAwareValue;
import com.hazelcast.map.IMap;
import io.micrometer.core.instrument.FunctionCounter;
import io.micrometer.core.instrument.Gauge;
import io.micrometer.core.instrument.MeterRegistry;
import io.micrometer.core.instrument.Timer;
import io.steward.spi.Persistence;
import io.steward.observe.RateLimitedLog;
import io.steward.spi.HazelcastInternals;
import io.steward.spi.PersistentMap;
import io.steward.spi.Tombstone;
import io.vertx.core.json.JsonObject;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.nio.file.Path;
import java.sql.SQLException;
import java.util.ArrayList;
import java.util.Collection;
import java.util.HashMap;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.LongAdder;
import java.util.function.Predicate;

/**
 * The node's store: where jobs, durable tasks and persistent caches are written so that they survive a full
 * restart of the cluster (docs/durability.md). Node-level, because every full member holds partitions of
 * every map whatever modules it runs: each member writes the entries it owns, through Hazelcast's write-behind
 * {@link StewardMapStore}, and the cluster loads them back the first time it uses a map.
 *
 * <p>Life cycle, driven by the node: {@link #open} (before Hazelcast: the database reachable, the schema
 * migrated), {@link #configure} (the maps' configuration), {@link #attach} (after joining: every full member
 * uses the same database), {@link #awaitLoaded}, then at the end {@link #leaving} and {@link #close}.
 *
 * <p>While the database is down, writes fail at once and stay in Hazelcast's write-behind queues (on the
 * owner and its backup) to be retried; a probe tries the database with exponential backoff ({@link Gate}).
 */
public final class Store implements AutoCloseable {

  /** The member attribute naming a member's store, compared when a node joins. */
  public static final String ATTRIBUTE = "steward.store";
  /** The attribute of a full member with {@code store.kind none}. */
  public static final String NO_STORE = "none";
  static final String USER_CONTEXT_KEY = "steward.store";
  private static final long PROBE_EVERY_MS = 200;
  private static final long PING_WHEN_UP_MS = 5_000;
  private static final long PURGE_EVERY_MS = 60_000;

  private static final Logger LOG = LoggerFactory.getLogger(Store.class);
  private static final RateLimitedLog WARN = new RateLimitedLog(LOG, 30_000);

  private final StoreConfig config;
  private final Database db;
  private final Gate gate;
  private final Spill spill;
  private final String storeId;
  private final Map<String, Predicate<Object>> declared = new LinkedHashMap<>();
  private final Set<String> persisted = ConcurrentHashMap.newKeySet();
  private final Map<String, Double> loadSeconds = new ConcurrentHashMap<>();
  private final ScheduledExecutorService scheduler;
  private final LongAdder written = new LongAdder();
  private final LongAdder deleted = new LongAdder();
  private final LongAdder loaded = new LongAdder();
  private final LongAdder rejected = new LongAdder();
  private final LongAdder spilled = new LongAdder();
  private final Map<String, LongAdder> failures = new ConcurrentHashMap<>();
  private volatile Timer writeTimer;
  private volatile HazelcastInstance hz;
  private volatile boolean leaving;
  private volatile boolean lastLeaving;
  private volatile boolean refused;
  private volatile boolean closed;
  private long writtenAtLeave;
  private long nextPingAt;
  private long nextPurgeAt;
  /** Rows written back from {@link Spill} at start-up, to put into the cluster's maps once joined. */
  private final List<Spill.Replayed> replayed;

  private Store(StoreConfig config, Database db, String storeId, List<PersistentMap> maps, List<Spill.Replayed> replayed) {
    this.config = config;
    this.replayed = new ArrayList<>(replayed);
    this.db = db;
    this.storeId = storeId;
    this.gate = new Gate(System::currentTimeMillis, config.maxBackoffMs());
    this.spill = new Spill(config.dir());
    maps.forEach(m -> declared.put(m.name(), m.keep()));
    this.scheduler = Executors.newSingleThreadScheduledExecutor(r -> {
      Thread t = new Thread(r, "steward-store");
      t.setDaemon(true);
      return t;
    });
  }

  // ------------------------------------------------------------------ life cycle

  /**
   * Connects, creates or migrates the schema and writes what the last stop left on disk ({@link Spill}), waiting
   * up to {@code store.startupTimeoutMs} for the database. Blocks. A node does not start over a database it
   * cannot read: it would forget what is stored there.
   */
  public static Store open(StoreConfig config, List<PersistentMap> maps) {
    if (config.kind() == StoreConfig.Kind.NONE) {
      throw new IllegalArgumentException("store.kind none has no store");
    }
    long started = System.currentTimeMillis();
    long deadline = started + config.startupTimeoutMs();
    Database db = Database.of(config);
    Gate backoff = new Gate(System::currentTimeMillis, Math.min(config.maxBackoffMs(), 5_000));
    int attempt = 0;
    while (true) {
      attempt++;
      try {
        int migrations = db.migrate();
        String id = db.storeId();
        Spill.Result replayed = new Spill(config.dir()).replay(db);
        LOG.info("Store: {} database at {} (id {}) ready in {} ms{}{}", config.kind().wire(), config.target(), id,
          System.currentTimeMillis() - started, migrations > 0 ? ", " + migrations + " schema migration(s) applied" : "",
          replayed.written() + replayed.skipped() > 0 ? ", " + replayed.written() + " write(s) kept on disk at the last "
            + "stop written (" + replayed.skipped() + " skipped: the database had newer versions)" : "");
        return new Store(config, db, id, maps, replayed.rows());
      } catch (Exception e) {
        long now = System.currentTimeMillis();
        if (now >= deadline) {
          db.close();
          throw new StoreException("store: cannot use the " + config.kind().wire() + " database at " + config.target()
            + " (" + Failures.describe(e) + ") after " + attempt + " attempt(s) in " + (now - started) + " ms "
            + "(store.startupTimeoutMs). A node does not start over a database it cannot read, or it would forget the "
            + "jobs and durable tasks stored there. " + remedy(config), e);
        }
        backoff.failure(Failures.describe(e));
        long wait = Math.min(backoff.snapshot().nextAttemptInMs(), deadline - now);
        LOG.warn("Store: the database at {} is not usable yet ({}); trying again in {} ms (giving up after "
          + "store.startupTimeoutMs)", config.target(), Failures.describe(e), wait);
        sleep(wait);
      }
    }
  }

  private static String remedy(StoreConfig c) {
    return c.kind() == StoreConfig.Kind.EMBEDDED
      ? "Check that store.dir (" + c.target() + ") is writable and on a local disk, and that no Steward node from another "
        + "version holds it; or set store.kind=none to run from memory only."
      : "Check that PostgreSQL runs and is reachable at store.url, and store.user / store.password; or set "
        + "store.kind=none to run from memory only.";
  }

  /** What this node's store is, as the member attribute other members compare with theirs. */
  public String identity() {
    return config.kind().wire() + "|" + storeId + "|writeDelaySeconds=" + config.writeDelaySeconds()
      + "|writeBatchSize=" + config.writeBatchSize();
  }

  /** The write-behind configuration of a persisted map (the same on every member, as Hazelcast requires). */
  public static MapStoreConfig mapStoreConfig(StoreConfig c) {
    return new MapStoreConfig()
      .setEnabled(true)
      .setClassName(StewardMapStore.class.getName())
      .setWriteDelaySeconds(c.writeDelaySeconds())
      .setWriteBatchSize(c.writeBatchSize())
      .setWriteCoalescing(true)
      .setInitialLoadMode(MapStoreConfig.InitialLoadMode.LAZY);
  }

  /**
   * Configures the declared maps with the store, and leaves the store where {@link StewardMapStore} and
   * modules ({@link Persistence}) find it. Call before Hazelcast starts; the member attribute is set by the node.
   */
  public void configure(Config hzConfig) {
    hzConfig.getUserContext().put(USER_CONTEXT_KEY, this);
    hzConfig.getUserContext().put(Persistence.MAP_STORE_CONFIG, mapStoreConfig(config));
    for (String name : declared.keySet()) {
      MapConfig base = hzConfig.findMapConfig(name);
      MapConfig mine = new MapConfig(base).setName(name).setMapStoreConfig(mapStoreConfig(config));
      hzConfig.addMapConfig(mine);
    }
  }

  /** After joining: starts the probe and the purge of expired rows. */
  public void attach(HazelcastInstance hz) {
    this.hz = hz;
    scheduler.scheduleWithFixedDelay(this::tick, PROBE_EVERY_MS, PROBE_EVERY_MS, TimeUnit.MILLISECONDS);
  }

  /**
   * Checks that every other full member names the same store; throws (and from then on writes nothing) when one
   * does not: two databases behind one cluster would each hold part of the data.
   */
  public static void checkPeers(HazelcastInstance hz, String mine, Store store) {
    List<String> problems = new ArrayList<>();
    for (Member m : hz.getCluster().getMembers()) {
      if (m.localMember() || m.isLiteMember()) {
        continue;
      }
      String theirs = m.getAttribute(ATTRIBUTE);
      if (theirs == null) {
        WARN.warn("foreign" + m.getUuid(), "Cluster member " + m.getAddress() + " holds data but is not a Steward node: "
          + "the entries it owns are not written to the store. Join other applications as lite members.");
      } else if (!theirs.equals(mine)) {
        problems.add(m.getAddress() + " uses '" + theirs + "'");
      }
    }
    if (!problems.isEmpty()) {
      if (store != null) {
        store.refused = true;
      }
      throw new StoreException("store: this node uses '" + mine + "' but " + String.join(", ", problems) + ". Every full "
        + "member of a cluster must use the same store (store.kind, the same database, store.writeDelaySeconds and "
        + "store.writeBatchSize), or each would hold part of the data. On one machine, start every node from the same "
        + "working directory (or the same store.dir); across machines use store.kind=postgres with the same store.url; "
        + "or store.kind=none everywhere.");
    }
  }

  /**
   * Loads the declared maps now, on this (blocking) thread, so that modules start with their data: the first
   * node of a cluster reads the database here; later nodes find the maps loaded.
   */
  public void awaitLoaded() {
    for (String name : declared.keySet()) {
      long t0 = System.nanoTime();
      Set<Member> members = new HashSet<>(hz.getCluster().getMembers());
      int size = -1;
      while (size < 0) {
        if (closed) {
          throw new StoreException("store: closed while loading " + name);
        }
        try {
          size = hz.getMap(name).size();
        } catch (RuntimeException e) {
          WARN.warn("load" + name, "Store: loading map " + name + " is not done yet (" + Failures.describe(e) + "); waiting");
        }
      }
      double seconds = (System.nanoTime() - t0) / 1e9;
      loadSeconds.put(name, seconds);
      if (!members.equals(new HashSet<>(hz.getCluster().getMembers()))) {
        LOG.warn("Store: map {} ready with {} entries ({} ms), loaded while members joined or left the cluster: a member "
          + "that joins during a load can lose the entries of the partitions that move to it (Hazelcast issue #11544); "
          + "they stay in the database and come back at the next full restart. Compare with the map's rows in the "
          + "database. After a full stop, start the other nodes only once the first is up (docs/durability.md)", name,
          size, Math.round(seconds * 1000));
      } else {
        LOG.info("Store: map {} ready with {} entr{} ({} ms)", name, size, size == 1 ? "y" : "ies", Math.round(seconds * 1000));
      }
    }
    mergeReplayed();
  }

  /**
   * Puts the rows this node wrote back at start-up ({@link Spill}) into the cluster's maps: the cluster may have
   * loaded them before (nodes that stopped together start one after the other, and each kept on disk only what it
   * held). An entry is set only where the map still holds the version the database held before the replay (or
   * none, where it held none): a change made since the load is newer and stays. Where this node's own load read
   * the replayed rows, nothing changes. Rows of a map no member has defined yet (a persisted cache created at run
   * time) are left to the database, which the map loads from when its module defines it again.
   */
  private void mergeReplayed() {
    if (replayed.isEmpty()) {
      return;
    }
    HazelcastInternals.Serialization ss = HazelcastInternals.serialization(hz);
    Map<String, List<Spill.Replayed>> byMap = new LinkedHashMap<>();
    replayed.forEach(r -> byMap.computeIfAbsent(r.row().map(), m -> new ArrayList<>()).add(r));
    int merged = 0;
    int kept = 0;
    int undefined = 0;
    long now = System.currentTimeMillis();
    for (Map.Entry<String, List<Spill.Replayed>> e : byMap.entrySet()) {
      String name = e.getKey();
      MapStoreConfig msc = hz.getConfig().findMapConfig(name).getMapStoreConfig();
      if (!declared.containsKey(name) && (msc == null || !msc.isEnabled())) {
        undefined += e.getValue().size();
        continue;
      }
      IMap<Object, Object> map = hz.getMap(name);
      for (Spill.Replayed r : e.getValue()) {
        try {
          if (merge(map, r, ss, now)) {
            merged++;
          } else {
            kept++;
          }
        } catch (RuntimeException ex) {
          LOG.warn("Store: could not put {} kept on disk at the last stop into the cluster's map ({}); the database has "
            + "it, so it is back at the next full restart", r.row(), Failures.describe(ex));
        }
      }
    }
    LOG.info("Store: of {} write(s) kept on disk at the last stop, {} put into the cluster's maps, {} already there or "
      + "replaced since by newer changes, {} of maps not defined yet (the database has them)", replayed.size(), merged,
      kept, undefined);
    replayed.clear();
  }

  private static boolean merge(IMap<Object, Object> map, Spill.Replayed r, HazelcastInternals.Serialization ss, long now) {
    Row row = r.row();
    Row previous = r.previous();
    if (row.expiresAt() != null && row.expiresAt() <= now) {
      return false;
    }
    if (row.isDelete()) {
      return previous != null && map.remove(row.key(), value(previous, ss));
    }
    Object value = value(row, ss);
    if (previous == null) {
      return (row.expiresAt() == null ? map.putIfAbsent(row.key(), value)
        : map.putIfAbsent(row.key(), value, row.expiresAt() - now, TimeUnit.MILLISECONDS)) == null;
    }
    if (!map.replace(row.key(), value(previous, ss), value)) {
      return false;
    }
    if (row.expiresAt() != null) {
      map.setTtl(row.key(), Math.max(1, row.expiresAt() - now), TimeUnit.MILLISECONDS);
    }
    return true;
  }

  private static Object value(Row row, HazelcastInternals.Serialization ss) {
    return row.text() != null ? row.text() : ss.toObject(row.bytes());
  }

  /**
   * The node is about to leave the cluster. A leaving member first hands its partitions, write-behind queues
   * included, to the members that stay; then Hazelcast writes whatever it still holds (a graceful shutdown
   * flushes the write-behind queues): everything, when it is the last full member or when every member is
   * stopping at once. Should the database fail in that last flush, the writes are kept on disk ({@link Spill})
   * instead of being lost, whatever the member count: whether the others are leaving too is not known here.
   */
  public void leaving() {
    HazelcastInstance h = hz;
    if (h == null || !h.getLifecycleService().isRunning()) {
      return;
    }
    leaving = true;
    writtenAtLeave = written.sum() + deleted.sum();
    if (!gate.up()) {
      LOG.warn("Store: leaving while the database is down ({} pending write(s) on this node): what Hazelcast's last flush "
        + "cannot write is kept in {} and written when a node starts again from store.dir {}", pendingWrites(),
        spill.dir(), config.target());
    }
    long dataMembers = h.getCluster().getMembers().stream().filter(m -> !m.isLiteMember()).count();
    if (dataMembers <= 1) {
      lastLeaving = true;
      long pending = pendingWrites();
      LOG.info("Store: last data member leaving: {} pending write(s) go to the database before Hazelcast stops{}", pending,
        gate.up() ? "" : " (the database is down: they are kept in " + spill.dir() + " for the next start)");
    }
  }

  /** Stops the probe and closes the pool; call after Hazelcast has stopped. */
  @Override
  public void close() {
    if (closed) {
      return;
    }
    closed = true;
    scheduler.shutdownNow();
    if (spilled.sum() > 0) {
      LOG.error("Store: {} write(s) made while leaving; {} the database could not take kept on disk in {}: start this node "
        + "again from the same store.dir once the database is back", written.sum() + deleted.sum() - writtenAtLeave,
        spilled.sum(), spill.dir());
    } else if (lastLeaving) {
      LOG.info("Store: {} write(s) made while leaving", written.sum() + deleted.sum() - writtenAtLeave);
    }
    db.close();
  }

  // ------------------------------------------------------------------ what StewardMapStore calls

  /** The node's store, from the member's user context. */
  static Store of(HazelcastInstance hz) {
    Object s = hz.getUserContext().get(USER_CONTEXT_KEY);
    if (!(s instanceof Store store)) {
      throw new StoreException("store: map persistence is configured but this member has no store (store.kind none, or "
        + "a lite member). Every full member must use the same store.* settings.");
    }
    return store;
  }

  /** One persisted map on this member. */
  static final class MapHandle {
    final String name;
    final Predicate<Object> keep;
    final HazelcastInternals.Serialization serialization;

    MapHandle(String name, Predicate<Object> keep, HazelcastInternals.Serialization serialization) {
      this.name = name;
      this.keep = keep;
      this.serialization = serialization;
    }
  }

  MapHandle handle(String mapName, HazelcastInstance instance) {
    persisted.add(mapName);
    Predicate<Object> keep = declared.getOrDefault(mapName, v -> true);
    return new MapHandle(mapName, keep, HazelcastInternals.serialization(instance));
  }

  void write(MapHandle map, Map<Object, MetadataAwareValue<Object>> entries) {
    if (refused || entries.isEmpty()) {
      entries.clear();
      return;
    }
    long now = System.currentTimeMillis();
    List<Row> rows = new ArrayList<>(entries.size());
    for (Map.Entry<Object, MetadataAwareValue<Object>> e : entries.entrySet()) {
      Object value = e.getValue().getValue();
      String key = key(map, e.getKey());
      if (value instanceof Tombstone t && t.tombstone()) {
        rows.add(Row.delete(map.name, key, now)); // a deleted key, kept in memory against merges: no row
        continue;
      }
      if (!map.keep.test(value)) {
        continue; // memory only (a record of a temporary task)
      }
      long exp = e.getValue().getExpirationTime();
      Long expiresAt = exp == MetadataAwareValue.NO_TIME_SET || exp <= 0 ? null : exp;
      if (value instanceof String text) {
        rows.add(new Row(map.name, key, text, null, expiresAt, now));
      } else {
        rows.add(new Row(map.name, key, null, map.serialization.toBytes(value), expiresAt, now));
      }
    }
    if (writeRows(rows, "write")) {
      written.add(rows.size());
    }
    entries.clear();
  }

  void delete(MapHandle map, Collection<Object> keys) {
    if (refused || keys.isEmpty()) {
      keys.clear();
      return;
    }
    long now = System.currentTimeMillis();
    List<Row> rows = new ArrayList<>(keys.size());
    for (Object k : keys) {
      rows.add(Row.delete(map.name, key(map, k), now));
    }
    if (writeRows(rows, "delete")) {
      deleted.add(rows.size());
    }
    keys.clear();
  }

  private static String key(MapHandle map, Object key) {
    if (key instanceof String s) {
      return s;
    }
    throw new StoreException("store: map " + map.name + " has a key of type " + key.getClass().getName()
      + "; persisted maps must have String keys");
  }

  /** True when the rows are in the database, false when they were kept on disk; throws while the database is down. */
  private boolean writeRows(List<Row> rows, String op) {
    if (rows.isEmpty()) {
      return true;
    }
    if (!gate.up()) {
      if (spilling() && keep(rows)) {
        return false;
      }
      failed(op);
      throw down(rows.size());
    }
    long t0 = System.nanoTime();
    try {
      db.write(rows, this::rejected);
      Timer t = writeTimer;
      if (t != null) {
        t.record(System.nanoTime() - t0, TimeUnit.NANOSECONDS);
      }
      recovered();
      return true;
    } catch (SQLException | RuntimeException e) {
      failed(op);
      outage(e);
      if (spilling() && keep(rows)) {
        return false;
      }
      throw down(rows.size());
    }
  }

  /**
   * Whether a write the database cannot take goes to disk: in the last flush of a leaving member (Hazelcast's
   * {@code MapManagedService.shutdown} on the stack), after which this member's copy of the queue is gone. Not in
   * the write-behind runs while the member hands its partitions over: those writes stay queued and move to the
   * members that stay, which write them later.
   */
  private boolean spilling() {
    return lastLeaving || (leaving && HazelcastInternals.inLastFlush());
  }

  /** The leaving member's last flush, which the database failed: keep the rows on disk. True when they are. */
  private boolean keep(List<Row> rows) {
    try {
      Path file = spill.write(rows);
      boolean first = spilled.sum() == 0;
      spilled.add(rows.size());
      if (first) { // one flush per partition and map: the total is logged when the store closes
        LOG.error("Store: the database is down while this node leaves: what it could not write is kept in {} (first "
          + "file {}); the node started again from store.dir {} writes it to the database and the cluster's maps",
          spill.dir(), file.getFileName(), config.target());
      }
      return true;
    } catch (java.io.IOException e) {
      LOG.error("Store: the database is down while this node leaves and {} write(s) could not be kept on disk ({}); "
        + "they are lost: {}", rows.size(), e.getMessage(), rows.size() <= 20 ? rows : rows.subList(0, 20) + " …");
      return false;
    }
  }

  private StoreException down(int rows) {
    Gate.Snapshot s = gate.snapshot();
    // No stack trace: Hazelcast retries each write many times, and the trace would say nothing the message does not.
    return StoreException.withoutTrace("store: database down (" + s.lastError() + "); " + rows + " write(s) stay queued "
      + "and are retried");
  }

  private void rejected(Row row, SQLException e) {
    rejected.increment();
    LOG.error("Store: the database refused entry {} ({}); it stays in memory but will not survive a full restart. "
      + "This is a data problem, not an outage: the entry is not retried", row, Failures.describe(e));
  }

  private void failed(String op) {
    failures.computeIfAbsent(op, o -> new LongAdder()).increment();
  }

  private void outage(Throwable e) {
    if (gate.failure(Failures.describe(e))) {
      LOG.error("Store: the {} database at {} is unreachable ({}). Steward keeps working from memory; changes wait in "
          + "Hazelcast's write-behind queues (on each entry's owner and its backup) and are written when it is back, "
          + "retried with backoff up to store.maxBackoffMs ({} ms). Restore the database; /health shows the store as "
          + "DEGRADED until then.", config.kind().wire(), config.target(), Failures.describe(e), config.maxBackoffMs());
    } else {
      WARN.warn("outage", "Store: the database at " + config.target() + " is still unreachable (" + Failures.describe(e)
        + "); " + pendingWrites() + " write(s) pending on this node");
    }
  }

  private void recovered() {
    Gate.Snapshot before = gate.snapshot();
    if (gate.success()) {
      LOG.info("Store: the database at {} is reachable again after {} ms; {} pending write(s) on this node are being "
        + "written", config.target(), before.downForMs(), pendingWrites());
    }
  }

  Iterable<Object> loadAllKeys(MapHandle map) {
    List<String> keys = retrying("the keys of " + map.name, () -> db.keys(map.name, System.currentTimeMillis()));
    return new ArrayList<>(keys);
  }

  Map<Object, MetadataAwareValue<Object>> loadAll(MapHandle map, Collection<Object> keys) {
    List<String> ks = new ArrayList<>(keys.size());
    for (Object k : keys) {
      ks.add(key(map, k));
    }
    Map<String, Row> rows = retrying("entries of " + map.name, () -> db.rows(map.name, ks, System.currentTimeMillis()));
    Map<Object, MetadataAwareValue<Object>> out = new HashMap<>(rows.size() * 2);
    rows.forEach((k, r) -> {
      Object value;
      try {
        value = r.text() != null ? r.text() : map.serialization.toObject(r.bytes());
      } catch (RuntimeException e) {
        rejected.increment();
        LOG.error("Store: entry {} in the database cannot be read ({}); it is not loaded", r, e.getMessage());
        return;
      }
      out.put(k, r.expiresAt() == null ? new MetadataAwareValue<>(value) : new MetadataAwareValue<>(value, r.expiresAt()));
    });
    loaded.add(out.size());
    return out;
  }

  private interface SqlCall<T> {
    T run() throws SQLException;
  }

  /**
   * Loads wait for the database rather than fail: Hazelcast would otherwise carry on with an empty map and the
   * stored entries would never come back. Meanwhile, operations on the map wait for its load.
   */
  private <T> T retrying(String what, SqlCall<T> call) {
    while (true) {
      if (closed) {
        throw new StoreException("store: closed while loading " + what);
      }
      if (gate.up() || gate.probeDue()) {
        try {
          T t = call.run();
          recovered();
          return t;
        } catch (SQLException | RuntimeException e) {
          failed("load");
          outage(e);
          WARN.warn("load", "Store: cannot load " + what + " (" + Failures.describe(e) + "); the map waits for the "
            + "database, retrying with backoff");
        }
      }
      sleep(Math.max(50, Math.min(1_000, gate.snapshot().nextAttemptInMs())));
    }
  }

  // ------------------------------------------------------------------ probe, purge

  private void tick() {
    try {
      long now = System.currentTimeMillis();
      if (gate.probeDue() || (gate.up() && now >= nextPingAt)) {
        nextPingAt = now + PING_WHEN_UP_MS;
        try {
          db.ping((int) Math.max(1, config.connectTimeoutMs() / 1000));
          recovered();
        } catch (SQLException | RuntimeException e) {
          failed("probe");
          outage(e);
        }
      }
      if (gate.up() && now >= nextPurgeAt) {
        nextPurgeAt = now + PURGE_EVERY_MS;
        try {
          int n = db.purgeExpired(now);
          if (n > 0) {
            LOG.debug("Store: purged {} expired row(s)", n);
          }
        } catch (SQLException | RuntimeException e) {
          failed("purge");
          outage(e);
        }
      }
    } catch (RuntimeException e) {
      LOG.warn("Store: probe failed unexpectedly: {}", e.toString());
    }
  }

  // ------------------------------------------------------------------ health, metrics

  /** Changes this member owns that are not in the database yet (Hazelcast's dirty entries). */
  long pendingWrites() {
    HazelcastInstance h = hz;
    if (h == null || !h.getLifecycleService().isRunning()) {
      return 0;
    }
    long n = 0;
    for (String name : persisted) {
      try {
        n += h.getMap(name).getLocalMapStats().getDirtyEntryCount();
      } catch (RuntimeException e) {
        // stopping
      }
    }
    return n;
  }

  /** The store's entry in the node's health: UP, DEGRADED (working from memory, the database down) or DOWN. */
  public JsonObject health() {
    Gate.Snapshot s = gate.snapshot();
    JsonObject o = new JsonObject()
      .put("status", refused ? "DOWN" : s.up() ? "UP" : "DEGRADED")
      .put("kind", config.kind().wire())
      .put("target", config.target())
      .put("pendingWrites", pendingWrites())
      .put("lastSuccessAgoMs", s.sinceSuccessMs())
      .put("writeDelaySeconds", config.writeDelaySeconds());
    if (refused) {
      o.put("reason", "this node's store differs from the cluster's; it writes nothing (see its log)");
    } else if (!s.up()) {
      o.put("reason", "the database is unreachable: " + s.lastError())
        .put("downForMs", s.downForMs())
        .put("nextAttemptInMs", s.nextAttemptInMs())
        .put("action", "Steward keeps working from memory and writes the pending changes when the database is back. "
          + "Restore the database at " + config.target() + " (running? reachable? credentials?). Until then avoid "
          + "stopping every node: changes since the outage began live only in the members' memory, and a node that "
          + "stops keeps its part in store.dir, to be started again from there.");
    }
    return o;
  }

  /** Registers the {@code steward_store_*} meters. */
  public void bindMeters(MeterRegistry r) {
    Gauge.builder("steward_store_up", gate, g -> g.up() ? 1 : 0)
      .description("1 while the database is reachable, 0 while the store works from memory").register(r);
    Gauge.builder("steward_store_pending_writes", this, Store::pendingWrites)
      .description("Changes this member owns that are not in the database yet").register(r);
    Gauge.builder("steward_store_last_success_age_seconds", gate, g -> g.snapshot().sinceSuccessMs() / 1000.0)
      .description("Seconds since the database last answered").register(r);
    FunctionCounter.builder("steward_store_written", written, LongAdder::sum)
      .description("Entries written to the database by this member").register(r);
    FunctionCounter.builder("steward_store_deleted", deleted, LongAdder::sum)
      .description("Entries deleted from the database by this member").register(r);
    FunctionCounter.builder("steward_store_loaded", loaded, LongAdder::sum)
      .description("Entries loaded from the database by this member").register(r);
    FunctionCounter.builder("steward_store_rejected", rejected, LongAdder::sum)
      .description("Entries the database refused (a data problem; not retried)").register(r);
    FunctionCounter.builder("steward_store_spilled", spilled, LongAdder::sum)
      .description("Writes kept on disk because the database was down while this node left").register(r);
    for (String op : List.of("write", "delete", "load", "probe", "purge")) {
      LongAdder a = failures.computeIfAbsent(op, o -> new LongAdder());
      FunctionCounter.builder("steward_store_failures", a, LongAdder::sum).tag("op", op)
        .description("Database calls that failed").register(r);
    }
    for (String name : declared.keySet()) {
      Gauge.builder("steward_store_load_seconds", loadSeconds, m -> m.getOrDefault(name, 0.0)).tag("map", name)
        .description("How long this node waited for the map's initial load at start-up").register(r);
    }
    writeTimer = Timer.builder("steward_store_write").description("Latency of one write-behind batch to the database")
      .publishPercentiles(0.5, 0.99).register(r);
  }

  // ------------------------------------------------------------------ for tests and benchmarks

  StoreConfig config() {
    return config;
  }

  Database database() {
    return db;
  }

  boolean databaseUp() {
    return gate.up();
  }

  private static void sleep(long ms) {
    try {
      Thread.sleep(Math.max(1, ms));
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      throw new StoreException("store: interrupted", e);
    }
  }
}
