package io.steward.node;

import com.hazelcast.cluster.Member;
import com.hazelcast.core.HazelcastInstance;
import io.micrometer.core.instrument.Gauge;
import io.micrometer.core.instrument.MeterRegistry;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.util.Iterator;

/**
 * This node's wall clock against the cluster clock (Hazelcast's cluster time: the master's wall clock, as its
 * heartbeats carry it): positive when this node's clock is ahead. Scheduling follows the cluster clock, so a
 * skewed node still fires on time, but what a node stamps from its own clock (log lines, task records) is off by
 * as much, and a skew usually means the host's time sync is broken. Shown in {@code /nodes} and as the gauge
 * {@code steward_node_clock_offset_seconds}; beyond {@code cluster.maxClockOffsetMs} a WARN says what to do.
 */
final class ClockOffset {

  private static final Logger LOG = LoggerFactory.getLogger(ClockOffset.class);
  /** While the offset stays beyond the bound, the WARN is repeated this often. */
  private static final long REPEAT_MS = 600_000;

  private final HazelcastInstance hz;
  private final long maxMs;
  private long warnedAt;
  private boolean over;

  ClockOffset(HazelcastInstance hz, long maxMs, MeterRegistry registry) {
    this.hz = hz;
    this.maxMs = maxMs;
    if (registry != null) {
      Gauge.builder("steward_node_clock_offset_seconds", this, c -> c.offsetMs() / 1_000.0)
        .description("This node's wall clock minus the cluster clock (the Hazelcast master's), in seconds").register(registry);
    }
  }

  /** This node's wall clock minus the cluster clock, ms. */
  long offsetMs() {
    return System.currentTimeMillis() - hz.getCluster().getClusterTime();
  }

  /** Measures, and logs when the offset passes the bound (again every ten minutes while it stays) or comes back. */
  long check() {
    long offset = offsetMs();
    long now = System.nanoTime() / 1_000_000;
    if (Math.abs(offset) > maxMs) {
      if (!over || now - warnedAt >= REPEAT_MS) {
        over = true;
        warnedAt = now;
        LOG.warn("This node's wall clock is {} ms {} the cluster clock (the Hazelcast master's, {}), beyond "
            + "cluster.maxClockOffsetMs ({} ms). Schedule ticks follow the cluster clock and stay on time (beyond "
            + "schedule.clockFenceMs, while most other nodes are within it, this node's schedule module is fenced and "
            + "the others fire its jobs), but log lines "
            + "and records this node stamps from its own clock are off by as much. Fix time sync (NTP: chrony or "
            + "systemd-timesyncd) on this host; if /nodes shows every other node with the same offset, fix the master's.",
          Math.abs(offset), offset > 0 ? "ahead of" : "behind", master(), maxMs);
      }
    } else if (over) {
      over = false;
      LOG.info("This node's wall clock is again within cluster.maxClockOffsetMs of the cluster clock ({} ms)", offset);
    }
    return offset;
  }

  private String master() {
    Iterator<Member> members = hz.getCluster().getMembers().iterator();
    if (!members.hasNext()) {
      return "unknown";
    }
    Member m = members.next();
    return m.localMember() ? "this node" : String.valueOf(m.getAddress());
  }
}
