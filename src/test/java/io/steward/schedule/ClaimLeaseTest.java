package io.steward.schedule;

import io.steward.spi.ConfigException;
import io.steward.testing.MovableClock;
import org.junit.jupiter.api.Test;

import java.util.ArrayList;
import java.util.HashMap;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionStage;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

/** The claim lease (issue 16, campaign seeds 8378 and 111), on a moved clock with peers that answer or not. */
class ClaimLeaseTest {

  /** Peers whose pings the test answers, or leaves unanswered (cut off). */
  private static final class FakePeers implements ClaimLease.Peers {
    final Set<String> ids = new HashSet<>();
    final Set<String> reachable = new HashSet<>();
    final Map<String, List<CompletableFuture<Void>>> pending = new HashMap<>();
    /** The cluster's master when it is another member; null when this node is the master. */
    String master;

    FakePeers(String... ids) {
      this.ids.addAll(List.of(ids));
      this.reachable.addAll(List.of(ids));
    }

    @Override
    public Set<String> ids() {
      return Set.copyOf(ids);
    }

    @Override
    public String master() {
      return master;
    }

    @Override
    public CompletionStage<?> ping(String id) {
      CompletableFuture<Void> answer = new CompletableFuture<>();
      if (reachable.contains(id)) {
        answer.complete(null); // answered at once
      } else {
        pending.computeIfAbsent(id, k -> new ArrayList<>()).add(answer);
      }
      return answer;
    }
  }

  // Failure detection 4 s with 1 s heartbeats, as in the test clusters and the campaign's short settings.
  private static final ClaimLease.Timing TIMING = ClaimLease.Timing.of(4_000, 1_000, 0);

  @Test
  void a_node_cut_off_from_the_others_stops_claiming_before_they_can_take_its_jobs_over() {
    MovableClock clock = new MovableClock(0);
    FakePeers peers = new FakePeers("b", "c");
    ClaimLease lease = new ClaimLease(2, TIMING, clock::millis, peers);
    lease.renew();
    assertThat(lease.held()).as("both peers answered").isTrue();

    // Renewals every renewMs keep it held; then the node is cut off just after a renewal that went through.
    for (int i = 0; i < 10; i++) {
      clock.advance(TIMING.renewMs());
      lease.renew();
      assertThat(lease.held()).isTrue();
    }
    long cut = clock.millis();
    peers.reachable.clear();
    long stoppedAt = stoppedClaiming(lease, clock, cut);
    assertThat(stoppedAt).as("the cut-off node stopped claiming").isPositive();
    // The majority's master last heard a heartbeat no earlier than cut - heartbeat, and removes it failure detection
    // after that: the cut-off node stopped at least MARGIN_MS before.
    assertThat(stoppedAt - cut).isLessThanOrEqualTo(TIMING.takeoverMs() - ClaimLease.MARGIN_MS);
    assertThat(lease.losses()).isEqualTo(1);
    assertThat(lease.remainingMs()).isZero();

    // The link comes back: an answer renews it.
    peers.reachable.add("c");
    clock.advance(TIMING.leaseMs());
    lease.renew();
    assertThat(lease.held()).as("heard from c again").isTrue();
  }

  @Test
  void a_side_too_small_for_the_minimum_holds_no_lease_although_its_own_members_answer() {
    MovableClock clock = new MovableClock(1_000);
    FakePeers peers = new FakePeers("b", "c", "d", "e");
    ClaimLease lease = new ClaimLease(3, TIMING, clock::millis, peers);
    lease.renew();
    assertThat(lease.held()).isTrue();
    // Cut into {a, b} and {c, d, e}: a still hears b, but two of five is below a minimum of three.
    peers.reachable.retainAll(Set.of("b"));
    clock.advance(TIMING.leaseMs() - 1);
    lease.renew();
    assertThat(lease.held()).as("still within the lease of the pings before the cut").isTrue();
    clock.advance(1);
    lease.renew();
    assertThat(lease.held()).isFalse();
  }

  /**
   * CI campaign seed 33535 (clean-clone CI of 2026-12-07): after a 2 s partition healed, node3 heard no heartbeats
   * from the master (node1), suspected it and stopped sending it heartbeats, while node2 went on answering its pings;
   * node3 held its lease on node2's answers alone, the master removed node3 five seconds after its last heartbeat
   * and node2 took node3's partitions over while node3's lease still held: both fired the same two ticks. Only the
   * master removes a member, so a node that is not the master holds the lease only while the master answers too.
   */
  @Test
  void a_node_the_master_no_longer_answers_stops_claiming_although_another_peer_answers() {
    MovableClock clock = new MovableClock(0);
    FakePeers peers = new FakePeers("node1", "node2");
    peers.master = "node1";
    ClaimLease lease = new ClaimLease(2, TIMING, clock::millis, peers);
    lease.renew();
    assertThat(lease.held()).isTrue();
    long cut = clock.millis();
    peers.reachable.remove("node1"); // node2 still answers: one other member is enough for a minimum of 2
    long stoppedAt = stoppedClaiming(lease, clock, cut);
    assertThat(stoppedAt).as("stopped claiming without the master's answers").isPositive();
    assertThat(stoppedAt - cut).isLessThanOrEqualTo(TIMING.takeoverMs() - ClaimLease.MARGIN_MS);

    // The master removed node1 (or this node rejoined under node2): node2 is the master now and answers.
    peers.ids.remove("node1");
    peers.master = "node2";
    clock.advance(TIMING.renewMs());
    lease.renew();
    assertThat(lease.held()).as("the new master answers").isTrue();
  }

  @Test
  void the_master_itself_holds_the_lease_on_the_answers_of_enough_others() {
    MovableClock clock = new MovableClock(0);
    FakePeers peers = new FakePeers("b", "c");
    peers.master = null; // this node is the master
    ClaimLease lease = new ClaimLease(2, TIMING, clock::millis, peers);
    peers.reachable.remove("b");
    lease.renew();
    assertThat(lease.held()).as("c's answer makes two with this node").isTrue();
  }

  @Test
  void a_late_answer_renews_the_lease_only_from_when_its_ping_was_sent() {
    MovableClock clock = new MovableClock(0);
    FakePeers peers = new FakePeers("b");
    peers.reachable.clear();
    ClaimLease lease = new ClaimLease(2, TIMING, clock::millis, peers);
    lease.renew(); // sent at 0, answered only much later
    clock.advance(TIMING.leaseMs() + 500);
    peers.pending.get("b").get(0).complete(null);
    assertThat(lease.held()).as("the answer proves b heard this node at 0, more than a lease ago").isFalse();
    assertThat(lease.remainingMs()).isZero();
  }

  @Test
  void the_lease_runs_from_the_ping_the_minimum_th_freshest_peer_answered() {
    assertThat(ClaimLease.expiresAt(List.of(100L, 900L, 500L), 3, 1_000)).isEqualTo(1_500);
    assertThat(ClaimLease.expiresAt(List.of(100L, 900L, 500L), 2, 1_000)).isEqualTo(1_900);
    assertThat(ClaimLease.expiresAt(List.of(900L), 3, 1_000)).isEqualTo(Long.MIN_VALUE);
  }

  @Test
  void without_a_minimum_size_there_is_no_lease_to_lose() {
    assertThat(ClaimLease.expiresAt(List.of(), 0, 1_000)).isEqualTo(Long.MAX_VALUE);
    assertThat(ClaimLease.expiresAt(List.of(), 1, 1_000)).isEqualTo(Long.MAX_VALUE);
  }

  @Test
  void the_lease_is_derived_from_failure_detection_and_ends_a_margin_before_the_earliest_takeover() {
    assertThat(TIMING.takeoverMs()).isEqualTo(3_000);
    assertThat(TIMING.leaseMs()).isEqualTo(1_500);
    assertThat(TIMING.renewMs()).isEqualTo(375);
    ClaimLease.Timing packaged = ClaimLease.Timing.of(10_000, 1_000, 0); // cluster.xml's
    assertThat(packaged.leaseMs() + ClaimLease.MARGIN_MS).isLessThanOrEqualTo(packaged.takeoverMs());
    assertThat(ClaimLease.Timing.of(10_000, 1_000, 8_000).leaseMs()).isEqualTo(8_000);
  }

  @Test
  void a_lease_too_long_for_failure_detection_is_refused_at_start_up() {
    assertThatThrownBy(() -> ClaimLease.Timing.of(4_000, 1_000, 2_500))
      .isInstanceOf(ConfigException.class)
      .hasMessageContaining("schedule.leaseMs")
      .hasMessageContaining("between 400 and 2000 ms");
  }

  @Test
  void failure_detection_too_short_for_any_lease_is_refused_at_start_up() {
    assertThatThrownBy(() -> ClaimLease.Timing.of(2_000, 1_000, 0))
      .isInstanceOf(ConfigException.class)
      .hasMessageContaining("cluster.failureDetectionSeconds")
      .hasMessageContaining("at least 2400 ms");
  }

  /** Renews every 10 ms from {@code cut} until the lease is lost: when it was, or -1 if not before the earliest takeover. */
  private static long stoppedClaiming(ClaimLease lease, MovableClock clock, long cut) {
    while (clock.millis() < cut + TIMING.takeoverMs()) {
      clock.advance(10);
      lease.renew();
      if (!lease.held()) {
        return clock.millis();
      }
    }
    return -1;
  }
}
