package io.steward.schedule;

import com.hazelcast.cluster.Cluster;

import java.time.Clock;
import java.time.Instant;
import java.time.ZoneId;
import java.time.ZoneOffset;

/**
 * The clock every schedule node agrees on: Hazelcast's cluster time, this node's wall clock corrected by the
 * offset to the master's wall clock that Hazelcast measures from each of the master's heartbeats (a joining
 * member takes the master's time, and a new master goes on from the time it had, so the cluster time does not
 * step when the master changes). Nodes agree to within a heartbeat's transit, however far their wall clocks
 * disagree; a node whose wall clock is ahead therefore neither fires early nor claims ticks in the future.
 */
final class ClusterClock extends Clock {

  private final Cluster cluster;

  ClusterClock(Cluster cluster) {
    this.cluster = cluster;
  }

  @Override
  public long millis() {
    return cluster.getClusterTime();
  }

  @Override
  public Instant instant() {
    Instant wall = Instant.now();
    return wall.plusMillis(cluster.getClusterTime() - wall.toEpochMilli());
  }

  @Override
  public ZoneId getZone() {
    return ZoneOffset.UTC;
  }

  @Override
  public Clock withZone(ZoneId zone) {
    return this;
  }
}
