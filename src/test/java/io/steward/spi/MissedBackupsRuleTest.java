package io.steward.spi;

import com.hazelcast.cluster.MembershipEvent;
import com.hazelcast.cluster.MembershipListener;
import com.hazelcast.config.Config;
import com.hazelcast.config.JoinConfig;
import com.hazelcast.core.Hazelcast;
import com.hazelcast.core.HazelcastInstance;
import io.steward.testing.FreePorts;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

import java.util.ArrayList;
import java.util.List;
import java.util.UUID;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * The rule by which {@link MissedBackups} confirms a write whose backup acknowledgement was missed: the cluster safe,
 * no data member gone since the write was sent. A lite member (a client application, a gateway, a dashboard node)
 * holds no data, so its departure takes no write with it and must not turn a write into a 504. Three plain Hazelcast
 * members in this JVM (two data, one lite); no write is needed, only the rule.
 */
class MissedBackupsRuleTest {

  private final List<HazelcastInstance> members = new ArrayList<>();

  @AfterEach
  void stop() {
    members.forEach(HazelcastInstance::shutdown);
  }

  private List<HazelcastInstance> start(boolean... lite) {
    String name = "MissedBackupsRuleTest-" + UUID.randomUUID();
    int port = FreePorts.block(lite.length);
    for (boolean l : lite) {
      Config config = new Config().setClusterName(name).setLiteMember(l);
      config.setProperty("hazelcast.logging.type", "slf4j");
      config.setProperty("hazelcast.phone.home.enabled", "false");
      config.setProperty("hazelcast.wait.seconds.before.join", "0");
      config.getNetworkConfig().setPort(port).setPortAutoIncrement(true).getInterfaces().setEnabled(true)
        .addInterface("127.0.0.1");
      JoinConfig join = config.getNetworkConfig().getJoin();
      join.getMulticastConfig().setEnabled(false);
      join.getAutoDetectionConfig().setEnabled(false);
      join.getTcpIpConfig().setEnabled(true);
      for (int i = 0; i < lite.length; i++) {
        join.getTcpIpConfig().addMember("127.0.0.1:" + (port + i));
      }
      members.add(Hazelcast.newHazelcastInstance(config));
    }
    return members;
  }

  /** Returns once {@code hz} sees {@code count} members (from its membership events; at most 30 s). */
  private static void untilMembers(HazelcastInstance hz, int count) throws InterruptedException {
    CountDownLatch reached = new CountDownLatch(1);
    UUID listener = hz.getCluster().addMembershipListener(new MembershipListener() {
      @Override
      public void memberAdded(MembershipEvent event) {
        if (event.getMembers().size() == count) {
          reached.countDown();
        }
      }

      @Override
      public void memberRemoved(MembershipEvent event) {
        memberAdded(event);
      }
    });
    try {
      if (hz.getCluster().getMembers().size() != count) {
        assertThat(reached.await(30, TimeUnit.SECONDS)).as("%s members within 30 s", count).isTrue();
      }
    } finally {
      hz.getCluster().removeMembershipListener(listener);
    }
  }

  @Test
  void a_lite_member_leaving_does_not_unconfirm_a_write_but_a_data_member_leaving_does() throws Exception {
    List<HazelcastInstance> all = start(false, false, true);
    HazelcastInstance a = all.get(0);
    untilMembers(a, 3);
    MissedBackups missed = MissedBackups.of(a);

    MissedBackups.Sent beforeLiteLeft = missed.sent();
    all.get(2).shutdown();
    untilMembers(a, 2);
    assertThat(missed.confirm(beforeLiteLeft).get(30, TimeUnit.SECONDS))
      .as("confirmed although the lite member left").isTrue();

    MissedBackups.Sent beforeDataLeft = missed.sent();
    all.get(1).shutdown();
    untilMembers(a, 1);
    assertThat(missed.confirm(beforeDataLeft).get(30, TimeUnit.SECONDS))
      .as("a data member left since the write: it may have held the only other copy").isFalse();
    assertThat(missed.confirmed()).isEqualTo(1);
    assertThat(missed.unconfirmed()).isEqualTo(1);
  }

  /**
   * A node that stalled past the detector's threshold (a GC pause, SIGSTOP) may have been removed by the others
   * without knowing it yet: its member list, and so "no member gone", is stale until it hears. A missed
   * acknowledgement is then not confirmed, whatever the stale view says (campaign seed 2103 on the cache: writes a
   * resumed node answered 200 were lost when it merged back). The same rule for every write that waits here:
   * durable submits, job writes, cache writes.
   */
  @Test
  void a_write_sent_around_a_stall_of_this_node_is_not_confirmed() throws Exception {
    HazelcastInstance a = start(false).get(0);
    MissedBackups missed = MissedBackups.of(a);
    try {
      Stalls.configure(2_000, 5_000);
      long now = System.nanoTime();
      Stalls.beat(now - TimeUnit.MILLISECONDS.toNanos(7_000));
      Stalls.beat(now); // resumed just now, after 7 s
      assertThat(missed.confirm(missed.sent()).get(30, TimeUnit.SECONDS))
        .as("this node stalled 7 s: the others may have removed it").isFalse();
    } finally {
      Stalls.reset();
    }
    assertThat(missed.confirm(missed.sent()).get(30, TimeUnit.SECONDS)).as("no stall: a lone member is safe").isTrue();
  }
}
