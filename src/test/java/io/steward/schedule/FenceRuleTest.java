package io.steward.schedule;

import org.junit.jupiter.api.Test;

import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Map;
import java.util.Set;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * When a raised schedule fence may come down ({@link FenceRule}): never on the word of a peer that stalled with this
 * node, which is what let two nodes of four paused together fire alongside the other two.
 */
class FenceRuleTest {

  private static final long T = 1_700_000_000_000L;
  private static final long ALONE_MS = 60_000;
  private static final Set<String> FOUR = Set.of("a", "b", "c", "d");
  private static final Set<String> PAIR = Set.of("c", "d");
  /** This node (c) stalled for 40 s. */
  private static final long STALL_START = T;
  private static final long STALL_END = T + 40_000;

  private static FenceRule.Answer answer(String peer, Set<String> members, long stallStart, long stallEnd) {
    return FenceRule.Answer.parse(peer, FenceRule.Answer.encode(String.join(",", members), stallStart, stallEnd, false));
  }

  private static String lower(Set<String> mine, long now, FenceRule.Answer... answers) {
    return FenceRule.lower(mine, FOUR, STALL_START, STALL_END, new ArrayList<>(Arrays.asList(answers)), STALL_END, now, ALONE_MS);
  }

  @Test
  void a_peer_that_stalled_together_with_this_node_cannot_lower_its_fence() {
    // c and d were paused together; a and b removed them and carry on. c and d see each other only.
    FenceRule.Answer d = answer("d", PAIR, T + 5, STALL_END + 3);
    assertThat(lower(PAIR, STALL_END + 4_000, d)).isNull();
    // Before they dropped a and b from their view, a and b do not answer (or answer with their own view).
    assertThat(lower(FOUR, STALL_END + 4_000, d, null, answer("a", Set.of("a", "b"), 0, 0))).isNull();
  }

  @Test
  void a_peer_that_was_not_stalled_and_sees_the_same_members_lowers_it() {
    FenceRule.Answer a = answer("a", FOUR, 0, 0);
    FenceRule.Answer d = answer("d", FOUR, T + 5, STALL_END + 3);
    assertThat(lower(FOUR, STALL_END + 20_000, d, a)).contains("peer a");
    // A stall of the peer long before this one does not count against it.
    FenceRule.Answer earlier = answer("b", FOUR, T - 100_000, T - 90_000);
    assertThat(lower(FOUR, STALL_END + 20_000, earlier)).contains("peer b");
  }

  @Test
  void a_peer_in_the_middle_of_a_merge_or_an_older_node_that_does_not_report_stalls_is_no_witness() {
    FenceRule.Answer merging = FenceRule.Answer.parse("a", FenceRule.Answer.encode("a,b,c,d", 0, 0, true));
    assertThat(lower(FOUR, STALL_END + 20_000, merging, answer("d", FOUR, T, STALL_END))).isNull();
    FenceRule.Answer older = FenceRule.Answer.parse("a", "a,b,c,d");
    assertThat(lower(Set.of("a", "c", "e"), STALL_END + 5_000, older)).isNull();
  }

  @Test
  void a_whole_group_that_stalled_together_with_nobody_removed_lowers_it_at_once() {
    FenceRule.Answer a = answer("a", FOUR, T, STALL_END);
    FenceRule.Answer b = answer("b", FOUR, T, STALL_END);
    FenceRule.Answer d = answer("d", FOUR, T, STALL_END);
    assertThat(lower(FOUR, STALL_END + 3_000, a, b, d)).contains("nobody was removed");
    assertThat(lower(FOUR, STALL_END + 3_000, a, null, d)).as("one did not answer").isNull();
  }

  @Test
  void a_group_that_stalled_together_and_lost_members_carries_on_only_after_the_alone_time() {
    FenceRule.Answer d = answer("d", PAIR, T, STALL_END);
    assertThat(lower(PAIR, STALL_END + ALONE_MS - 1, d)).isNull();
    assertThat(lower(PAIR, STALL_END + ALONE_MS, d)).contains("carrying on as the survivors");
    FenceRule.Answer other = answer("d", Set.of("c", "d", "e"), T, STALL_END);
    assertThat(lower(PAIR, STALL_END + ALONE_MS, other)).as("disagreeing views").isNull();
  }

  @Test
  void a_fence_raised_by_a_merge_alone_comes_down_on_any_agreeing_peer_that_is_not_merging() {
    List<FenceRule.Answer> answers = List.of(answer("a", FOUR, T, STALL_END));
    assertThat(FenceRule.lower(FOUR, FOUR, 0, 0, answers, STALL_END, STALL_END + 3_000, ALONE_MS)).contains("peer a");
  }

  @Test
  void a_pair_that_stalled_together_and_split_comes_down_once_the_other_has_merged_back_with_a_new_member_uuid() {
    // Seed 88: a and b stalled together, split, and b merged back into a's side as b2 at b's address.
    Set<String> before = Set.of("a", "b");
    Set<String> mine = Set.of("a", "b2");
    Map<String, String> addresses = Map.of("a", "10.0.0.1:5701", "b", "10.0.0.2:5701", "b2", "10.0.0.2:5701");
    List<FenceRule.Answer> answers = List.of(answer("b2", mine, T, STALL_END));
    assertThat(FenceRule.lower(mine, before, addresses, T, STALL_END, answers, STALL_END, STALL_END + 3_000, ALONE_MS))
      .as("the peer that stalled with it vouches: nobody seen before is outside this cluster")
      .contains("1 of them merged back after a split brain");
    // Known by UUID only, b is gone: the fence waited for the alone time (the seed's 70 silent seconds).
    assertThat(FenceRule.lower(mine, before, T, STALL_END, answers, STALL_END, STALL_END + 3_000, ALONE_MS)).isNull();
  }

  @Test
  void a_member_with_a_new_uuid_at_another_address_does_not_stand_in_for_one_that_is_gone() {
    Set<String> before = Set.of("a", "b");
    Set<String> mine = Set.of("a", "c");
    Map<String, String> addresses = Map.of("a", "10.0.0.1:5701", "b", "10.0.0.2:5701", "c", "10.0.0.3:5701");
    List<FenceRule.Answer> answers = List.of(answer("c", mine, T, STALL_END));
    assertThat(FenceRule.lower(mine, before, addresses, T, STALL_END, answers, STALL_END, STALL_END + 3_000, ALONE_MS))
      .as("b may be on another side, firing this node's jobs").isNull();
    List<FenceRule.Answer> merging = List.of(FenceRule.Answer.parse("b2", FenceRule.Answer.encode("a,b2", T, STALL_END, true)));
    Map<String, String> back = Map.of("a", "10.0.0.1:5701", "b", "10.0.0.2:5701", "b2", "10.0.0.2:5701");
    assertThat(FenceRule.lower(Set.of("a", "b2"), before, back, T, STALL_END, merging, STALL_END, STALL_END + 3_000, ALONE_MS))
      .as("not while the peer is still merging").isNull();
  }

  @Test
  void only_a_stall_long_enough_to_get_the_node_removed_restarts_the_wait_for_a_merge() {
    long detection = 4_000;
    assertThat(FenceRule.restartsAloneWait(false, 2_100, detection)).as("the stall that raises the fence").isTrue();
    assertThat(FenceRule.restartsAloneWait(true, 2_100, detection))
      .as("a 2 s stall of a loaded node while fenced: nobody can have removed it meanwhile").isFalse();
    assertThat(FenceRule.restartsAloneWait(true, 4_900, detection)).as("a SIGSTOP past failure detection").isTrue();
  }
}
