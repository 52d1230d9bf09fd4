package io.steward.schedule;

import com.hazelcast.cluster.Member;
import com.hazelcast.core.HazelcastInstance;
import com.hazelcast.core.HazelcastInstanceAware;

import java.io.Serializable;
import java.util.TreeSet;
import java.util.concurrent.Callable;

/**
 * Runs on a peer and answers with the member UUIDs the peer sees and the peer's latest stall, so a fenced node can
 * check that its own view of the cluster is the view of a peer that did not stall with it ({@link Fence}). Public only for Hazelcast's executor.
 */
final class MembersProbe implements Callable<String>, Serializable, HazelcastInstanceAware {

  private static final long serialVersionUID = 1L;
  private transient HazelcastInstance hz;

  @Override
  public void setHazelcastInstance(HazelcastInstance hazelcastInstance) {
    this.hz = hazelcastInstance;
  }

  /** {@code members|stallStart|stallEnd|merging} ({@link FenceRule.Answer}), or just the members without a fence. */
  @Override
  public String call() {
    Object fence = hz.getUserContext().get(Fence.CONTEXT_KEY);
    return fence instanceof Fence f ? f.status() : FenceRule.Answer.encode(members(hz), 0, Long.MAX_VALUE, false);
  }

  static String members(HazelcastInstance hz) {
    TreeSet<String> ids = new TreeSet<>();
    for (Member m : hz.getCluster().getMembers()) {
      ids.add(m.getUuid().toString());
    }
    return String.join(",", ids);
  }
}
