package io.steward.testing;

import com.hazelcast.cluster.Member;
import com.hazelcast.core.HazelcastInstance;
import com.hazelcast.map.EntryProcessor;
import com.hazelcast.nio.ObjectDataInput;
import com.hazelcast.nio.ObjectDataOutput;
import com.hazelcast.nio.serialization.DataSerializable;
import com.hazelcast.partition.Partition;

import java.util.Map;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;

/**
 * Every partition thread of one member held busy, as in the first seconds of a network partition nobody has
 * detected yet: the member still heartbeats, but applies no operation and acknowledges no backup until
 * {@link #close()}. One hold at a time per JVM (its latches are static: the entry processors run in this JVM).
 */
public final class HeldPartitions implements AutoCloseable {

  private static final String MAP = "steward.test.hold";

  private HeldPartitions() {
  }

  /** Holds every partition thread of {@code hz}'s member; returns once they are all held (at most 30 s). */
  public static HeldPartitions hold(HazelcastInstance hz) throws InterruptedException {
    Member member = hz.getCluster().getLocalMember();
    String configured = hz.getConfig().getProperty("hazelcast.operation.thread.count");
    int threads = configured == null ? Math.max(2, Runtime.getRuntime().availableProcessors()) : Integer.parseInt(configured);
    Hold.RELEASE = new CountDownLatch(1);
    Hold.HELD = new CountDownLatch(threads);
    for (int t = 0; t < threads; t++) {
      for (int i = 0; ; i++) {
        String k = "hold-" + t + "-" + i;
        Partition p = hz.getPartitionService().getPartition(k);
        if (member.equals(p.getOwner()) && p.getPartitionId() % threads == t) {
          hz.<String, String>getMap(MAP).submitToKey(k, new Hold());
          break;
        }
      }
    }
    if (!Hold.HELD.await(30, TimeUnit.SECONDS)) {
      Hold.RELEASE.countDown();
      throw new IllegalStateException("only " + (threads - Hold.HELD.getCount()) + " of " + threads
        + " partition threads were held within 30 s");
    }
    return new HeldPartitions();
  }

  /** The member answers again: its queued operations and backups run. */
  @Override
  public void close() {
    Hold.RELEASE.countDown();
  }

  /** Holds the partition thread it runs on until released (60 s at most). Public: Hazelcast instantiates it. */
  public static final class Hold implements EntryProcessor<String, String, Boolean>, DataSerializable {
    static volatile CountDownLatch HELD = new CountDownLatch(0);
    static volatile CountDownLatch RELEASE = new CountDownLatch(0);

    public Hold() {
    }

    @Override
    public Boolean process(Map.Entry<String, String> entry) {
      HELD.countDown();
      long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(60);
      boolean interrupted = false;
      try {
        while (System.nanoTime() < deadline) {
          try {
            if (RELEASE.await(deadline - System.nanoTime(), TimeUnit.NANOSECONDS)) {
              return true;
            }
          } catch (InterruptedException e) {
            interrupted = true;
          }
        }
        return false;
      } finally {
        if (interrupted) {
          Thread.currentThread().interrupt();
        }
      }
    }

    @Override
    public EntryProcessor<String, String, Boolean> getBackupProcessor() {
      return null;
    }

    @Override
    public void writeData(ObjectDataOutput out) {
      // no state
    }

    @Override
    public void readData(ObjectDataInput in) {
      // no state
    }
  }
}
