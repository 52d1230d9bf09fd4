package io.steward.tasks;

import com.hazelcast.map.ExtendedMapEntry;
import io.vertx.core.json.JsonObject;
import org.junit.jupiter.api.Test;

import java.util.AbstractMap;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.TimeUnit;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * The task maps' entry processors applied as Hazelcast applies them: when a member is lost while an operation is
 * in flight, Hazelcast runs the same processor again on the new owner of the partition, which may already hold
 * the first application's result (a backup applies the same processor). A retry must answer as the first did.
 */
class ProcessorsTest {

  /** An entry as an entry processor sees it, with the time to live it was last given. */
  private static final class Entry extends AbstractMap.SimpleEntry<String, String> implements ExtendedMapEntry<String, String> {
    long ttlMs = -1;

    Entry(String key, String value) {
      super(key, value);
    }

    @Override
    public String setValue(String value, long ttl, TimeUnit unit) {
      ttlMs = unit.toMillis(ttl);
      return setValue(value);
    }

    @Override
    public String setValueWithoutChangingExpiryTime(String value) {
      return setValue(value);
    }
  }

  private static String liveRecord(String node) {
    return new JsonObject().put("id", "0123456789ab-1").put("type", "echo").put("supervisor", "default")
      .put("restart", "transient").put("state", "running").put("node", node).put("attempts", 1).encode();
  }

  @Test
  void a_claim_retried_after_it_was_applied_answers_the_claimed_record() {
    Entry e = new Entry("0123456789ab-1", liveRecord("dead"));
    Processors.Claim claim = new Processors.Claim("dead", "survivor", "claim-1");
    String first = claim.process(e);
    assertThat(new JsonObject(first).getString("node")).isEqualTo("survivor");
    assertThat(new JsonObject(first).getInteger("takeovers")).isEqualTo(1);
    String retried = claim.process(e); // Hazelcast's retry after a second member loss
    assertThat(retried).as("the retry of a claim that was applied").isEqualTo(first);
    assertThat(new JsonObject(e.getValue()).getInteger("takeovers")).isEqualTo(1);

    // Another survivor's claim of the same task loses, before and after.
    assertThat(new Processors.Claim("dead", "other", "claim-2").process(e)).isNull();
    assertThat(new JsonObject(e.getValue()).getString("node")).isEqualTo("survivor");
    // A claim id alone wins nothing: the same id from another node, or on a record that ended, answers null.
    assertThat(new Processors.Claim("dead", "other", "claim-1").process(e)).isNull();
    Entry ended = new Entry("k", new JsonObject(first).put("state", "succeeded").encode());
    assertThat(claim.process(ended)).isNull();
  }

  @Test
  void a_claim_that_never_got_its_answer_is_found_by_its_claimer_in_the_next_sweep() {
    Entry e = new Entry("0123456789ab-1", liveRecord("dead"));
    String claimed = new Processors.Claim("dead", "survivor", "claim-1").process(e);
    Processors.Orphans survivor = new Processors.Orphans(Set.of("survivor", "other"), "survivor");
    Processors.Orphans other = new Processors.Orphans(Set.of("survivor", "other"), "other");
    assertThat(survivor.apply(e)).isTrue();
    assertThat(other.apply(e)).isFalse();
    // Once its new owner writes the record again (no claim id), it is nobody's orphan.
    JsonObject rewritten = new JsonObject(claimed);
    rewritten.remove("claimId");
    e.setValue(rewritten.encode());
    assertThat(survivor.apply(e)).isFalse();
    assertThat(new Processors.Orphans(Set.of("other"), "other").apply(e)).as("its owner left").isTrue();
  }

  @Test
  void a_take_of_temporary_tasks_retried_after_it_was_applied_answers_the_record_and_only_to_its_taker() {
    String record = "{\"node\":\"dead\",\"count\":1}\n1,0,0,5,1,1\n";
    Entry e = new Entry("dead", record);
    Processors.TakeLiveRecord take = new Processors.TakeLiveRecord("take-1", 60_000);
    assertThat(take.process(e)).isEqualTo(record);
    assertThat(take.process(e)).as("the retry of a take that was applied").isEqualTo(record);
    assertThat(new Processors.TakeLiveRecord("take-2", 60_000).process(e)).as("another survivor's take").isNull();
    assertThat(e.ttlMs).as("a taken record is kept only for retries").isEqualTo(60_000);

    assertThat(new Processors.ForgetTaken("take-2").process(e)).isFalse();
    assertThat(e.getValue()).isNotNull();
    assertThat(new Processors.ForgetTaken("take-1").process(e)).isTrue();
    assertThat(e.getValue()).isNull();
    assertThat(take.process(e)).isNull();
  }

  @Test
  void a_held_key_notes_when_its_task_ended_and_still_moves_or_frees_by_its_task_id() {
    Entry e = new Entry("key", null);
    assertThat(new Processors.BindKey("n-1", 60_000).process(e)).isNull();
    assertThat(new Processors.BindKey("n-2", 60_000).process(e)).isEqualTo("n-1");
    assertThat(Processors.boundEndedAt(e.getValue())).as("live").isZero();
    assertThat(new Processors.HoldKey("n-9", 1_000, 5_000).process(e)).as("another task's hold").isFalse();
    assertThat(new Processors.HoldKey("n-1", 1_000, 5_000).process(e)).isTrue();
    assertThat(e.ttlMs).isEqualTo(5_000);
    String held = new Processors.BindKey("n-2", 60_000).process(e);
    assertThat(Processors.boundId(held)).isEqualTo("n-1");
    assertThat(Processors.boundEndedAt(held)).isEqualTo(1_000);
    assertThat(new Processors.RebindKey("n-2", "n-3", 60_000).process(e)).isFalse();
    assertThat(new Processors.RebindKey("n-1", "n-3", 60_000).process(e)).isTrue();
    assertThat(e.getValue()).isEqualTo("n-3");
    assertThat(new Processors.HoldKey("n-3", 2_000, 5_000).process(e)).isTrue();
    assertThat(new Processors.UnbindKey("n-1").process(e)).isFalse();
    assertThat(new Processors.UnbindKey("n-3").process(e)).isTrue();
    assertThat(e.getValue()).isNull();
  }

  @Test
  void an_owner_writes_its_record_only_while_no_other_node_took_the_task_over() {
    Entry mine = new Entry("0123456789ab-1", liveRecord("a"));
    String restarting = new JsonObject(liveRecord("a")).put("state", "restarting").encode();
    assertThat(new Processors.WriteOwned("a", restarting, 0).process(mine)).as("still a's: written").isNull();
    assertThat(mine.getValue()).isEqualTo(restarting);
    assertThat(mine.ttlMs).as("a live record keeps no time to live").isEqualTo(-1);
    String fin = new JsonObject(liveRecord("a")).put("state", "succeeded").encode();
    assertThat(new Processors.WriteOwned("a", fin, 60_000).process(mine)).isNull();
    assertThat(mine.ttlMs).isEqualTo(60_000);

    // b took it over while a was cut off: a's writes, live or final, leave b's record and answer b.
    Entry taken = new Entry("0123456789ab-1", liveRecord("a"));
    String claimed = new Processors.Claim("a", "b", "claim-1").process(taken);
    assertThat(new Processors.WriteOwned("a", restarting, 0).process(taken)).isEqualTo("b");
    assertThat(new Processors.WriteOwned("a", fin, 60_000).process(taken)).isEqualTo("b");
    assertThat(taken.getValue()).isEqualTo(claimed);
    assertThat(taken.ttlMs).isEqualTo(-1);

    // No record left (lost): the owner's is the only copy, so it is written.
    Entry gone = new Entry("0123456789ab-1", null);
    assertThat(new Processors.WriteOwned("a", restarting, 0).process(gone)).isNull();
    assertThat(gone.getValue()).isEqualTo(restarting);
  }

  @Test
  void a_take_back_leaves_a_tombstone_that_no_claim_sweep_or_owner_write_moves() {
    String tomb = new JsonObject().put("id", "0123456789ab-1").put("state", "refused").put("node", "submitter")
      .put("error", "could not confirm").encode();
    Processors.Withdraw takeBack = new Processors.Withdraw("submitter", tomb, 600_000);

    Entry none = new Entry("0123456789ab-1", null);
    assertThat(takeBack.process(none)).as("nothing was written here").isTrue();
    assertThat(none.getValue()).as("a tombstone where there was nothing").isEqualTo(tomb);
    assertThat(none.ttlMs).as("kept as long as final records").isEqualTo(600_000);

    Entry mine = new Entry("0123456789ab-1", liveRecord("submitter"));
    assertThat(takeBack.process(mine)).isTrue();
    assertThat(mine.getValue()).isEqualTo(tomb);
    assertThat(takeBack.process(mine)).as("taken back again (the sweeps)").isTrue();

    Entry taken = new Entry("0123456789ab-1", liveRecord("survivor"));
    assertThat(takeBack.process(taken)).as("a survivor took it over").isFalse();
    assertThat(taken.getValue()).isEqualTo(liveRecord("survivor"));

    // The tombstone is final: never an orphan, never claimed, never written over by a node that ran a late copy.
    assertThat(new Processors.Orphans(Set.of("other"), "other").apply(mine)).isFalse();
    assertThat(new Processors.Claim("submitter", "other", "claim-1").process(mine)).isNull();
    assertThat(new Processors.WriteOwned("node3", liveRecord("node3"), 0).process(mine)).isEqualTo("refused-by submitter");
    assertThat(new Processors.WriteOwned("submitter", liveRecord("submitter"), 0).process(mine))
      .isEqualTo("refused-by submitter");
    assertThat(mine.getValue()).isEqualTo(tomb);
  }
}
