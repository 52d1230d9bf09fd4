package io.steward.cache;

import com.hazelcast.core.HazelcastInstanceNotActiveException;
import com.hazelcast.core.IndeterminateOperationStateException;
import com.hazelcast.core.MemberLeftException;
import com.hazelcast.core.OperationTimeoutException;
import com.hazelcast.partition.NoDataMemberInClusterException;
import com.hazelcast.splitbrainprotection.SplitBrainProtectionException;
import io.steward.bus.Failure;
import io.steward.bus.StewardException;
import org.junit.jupiter.api.Test;

import java.util.concurrent.CompletionException;

import static org.assertj.core.api.Assertions.assertThat;

/** What a Hazelcast failure means to a caller: a write whose member was lost in flight has an unknown outcome. */
class HzTest {

  private static Failure failure(Throwable err, boolean write) {
    Throwable t = Hz.translate(new CompletionException(err), "update of 'k'", write);
    return t instanceof StewardException se ? se.failure() : Failure.HANDLER_FAILED;
  }

  @Test
  void a_member_lost_under_a_write_is_an_unknown_outcome_and_under_a_read_a_retry() {
    assertThat(failure(new MemberLeftException("gone"), true)).isEqualTo(Failure.INDETERMINATE);
    assertThat(failure(new OperationTimeoutException("slow"), true)).isEqualTo(Failure.INDETERMINATE);
    assertThat(failure(new MemberLeftException("gone"), false)).isEqualTo(Failure.UNAVAILABLE);
    assertThat(Hz.translate(new MemberLeftException("gone"), "update of 'k'", true).getMessage())
      .contains("may or may not have been applied");
  }

  @Test
  void a_write_no_backup_acknowledged_is_an_unknown_outcome_that_says_so() {
    assertThat(failure(new IndeterminateOperationStateException("no backup ack"), true)).isEqualTo(Failure.INDETERMINATE);
    assertThat(Hz.translate(new IndeterminateOperationStateException("no backup ack"), "put of 'k'", true).getMessage())
      .contains("backup did not acknowledge it");
    assertThat(failure(new IndeterminateOperationStateException("no backup ack"), false)).isEqualTo(Failure.UNAVAILABLE);
  }

  @Test
  void refusals_before_anything_ran_are_503_and_bugs_stay_500() {
    assertThat(failure(new SplitBrainProtectionException("minority"), true)).isEqualTo(Failure.UNAVAILABLE);
    assertThat(failure(new HazelcastInstanceNotActiveException(), true)).isEqualTo(Failure.UNAVAILABLE);
    assertThat(failure(new NoDataMemberInClusterException("lite only"), false)).isEqualTo(Failure.UNAVAILABLE);
    assertThat(failure(new IllegalStateException("bug"), true)).isEqualTo(Failure.HANDLER_FAILED);
    StewardException conflict = StewardException.conflict("lost");
    assertThat(Hz.translate(conflict, "x", true)).isSameAs(conflict);
  }
}
