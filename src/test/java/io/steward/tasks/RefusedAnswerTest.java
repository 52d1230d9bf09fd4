package io.steward.tasks;

import com.hazelcast.core.HazelcastException;
import com.hazelcast.core.IndeterminateOperationStateException;
import com.hazelcast.core.MemberLeftException;
import com.hazelcast.spi.exception.TargetNotMemberException;
import com.hazelcast.splitbrainprotection.SplitBrainProtectionException;
import io.steward.spi.HazelcastInternals;
import org.junit.jupiter.api.Test;

import java.util.concurrent.CompletableFuture;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * Which failures of a durable submit's record write let it answer 503 "nothing was run" (campaign seed 1003: a write
 * whose member left was answered 503, and a member that had been sent it applied it on its own side of a split).
 */
class RefusedAnswerTest {

  private static SplitBrainProtectionException protection() {
    return new SplitBrainProtectionException("Split brain protection exception: steward has 1 members, needs 2");
  }

  @Test
  void only_a_refusal_by_split_brain_protection_says_that_nothing_was_applied() {
    assertThat(TaskEngine.notApplied(protection())).isTrue();
    assertThat(TaskEngine.notApplied(new HazelcastException("wrapped", protection()))).isTrue();
    assertThat(TaskEngine.notApplied(new MemberLeftException("member left"))).as("its member left").isFalse();
    assertThat(TaskEngine.notApplied(new IndeterminateOperationStateException("backup acks missed")))
      .as("no backup acknowledged it").isFalse();
    assertThat(TaskEngine.notApplied(new TargetNotMemberException("not member"))).isFalse();
    assertThat(TaskEngine.notApplied(new HazelcastException("any other error"))).isFalse();
  }

  @Test
  void a_batch_whose_sets_failed_in_several_ways_answers_with_every_kind_so_one_unknown_outcome_makes_it_a_504() {
    CompletableFuture<?>[] sets = {
      CompletableFuture.completedFuture(null),
      CompletableFuture.failedFuture(protection()),
      CompletableFuture.failedFuture(protection()),
      CompletableFuture.failedFuture(new MemberLeftException("the owner of another record left")),
    };
    Throwable batch = HazelcastInternals.everyFailure(sets);
    assertThat(batch).isInstanceOf(SplitBrainProtectionException.class);
    assertThat(batch.getSuppressed()).as("one of each other kind").hasSize(1);
    assertThat(TaskEngine.notApplied(batch)).isFalse();

    CompletableFuture<?>[] refusedOnly = {
      CompletableFuture.failedFuture(protection()), CompletableFuture.failedFuture(protection()),
    };
    assertThat(TaskEngine.notApplied(HazelcastInternals.everyFailure(refusedOnly))).isTrue();
  }
}
