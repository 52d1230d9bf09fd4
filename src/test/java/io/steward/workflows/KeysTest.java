package io.steward.workflows;

import com.hazelcast.map.EntryProcessor;
import com.hazelcast.map.ExtendedMapEntry;
import org.junit.jupiter.api.Test;

import java.util.concurrent.TimeUnit;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * The key and record processors as Hazelcast runs them: on the owner's copy, then their backup processor on the
 * backup's copy, which may lack a write whose acknowledgement never came. The backup must end up with the owner's value.
 */
class KeysTest {

  /** An entry as a processor sees it: its value and expiry (-1: unchanged since created). */
  static final class Entry implements ExtendedMapEntry<String, String> {
    String value;
    long ttlMs = -1;

    Entry(String value) {
      this.value = value;
    }

    @Override
    public String getKey() {
      return "k";
    }

    @Override
    public String getValue() {
      return value;
    }

    @Override
    public String setValue(String v) {
      String old = value;
      value = v;
      ttlMs = -1;
      return old;
    }

    @Override
    public String setValue(String v, long ttl, TimeUnit unit) {
      String old = value;
      value = v;
      ttlMs = unit.toMillis(ttl);
      return old;
    }

    @Override
    public String setValueWithoutChangingExpiryTime(String v) {
      String old = value;
      value = v;
      return old;
    }
  }

  private static <R> R run(EntryProcessor<String, String, R> p, Entry owner, Entry backup) {
    R result = p.process(owner);
    EntryProcessor<String, String, ?> b = p.getBackupProcessor();
    if (b != null) {
      b.process(backup);
    }
    return result;
  }

  @Test
  void a_bind_that_finds_the_key_bound_gives_a_backup_that_missed_the_binding_the_owners_not_a_new_one() {
    String first = new Keys.Binding("first", 1).encode();
    Entry owner = new Entry(first);
    Entry backup = new Entry(null); // the first bind's backup write never arrived
    String answer = run(new Keys.Bind("second", 2, null), owner, backup);
    assertThat(Keys.Binding.parse(answer).id()).isEqualTo("first");
    assertThat(owner.value).isEqualTo(first);
    assertThat(backup.value).as("the backup now holds the binding the submit is answered with").isEqualTo(first);
  }

  @Test
  void a_bind_of_a_free_key_or_of_the_replaced_workflow_writes_the_same_binding_on_both_copies() {
    Entry owner = new Entry(null);
    Entry backup = new Entry(null);
    String mine = run(new Keys.Bind("a", 5, null), owner, backup);
    assertThat(owner.value).isEqualTo(mine).isEqualTo(backup.value);
    assertThat(backup.ttlMs).isZero();

    String moved = run(new Keys.Bind("b", 6, "a"), owner, new Entry(null));
    assertThat(Keys.Binding.parse(moved).id()).isEqualTo("b");
    assertThat(Keys.Binding.parse(run(new Keys.Bind("c", 7, "a"), owner, new Entry(null))).id())
      .as("moved already: another submit's replace of 'a' finds 'b'").isEqualTo("b");
  }

  @Test
  void hold_sets_the_expiry_or_frees_the_key_on_both_copies_and_leaves_another_workflows_key_alone() {
    String a = new Keys.Binding("a", 1).encode();
    Entry owner = new Entry(a);
    Entry backup = new Entry(a);
    assertThat(run(new Keys.Hold("a", 60_000), owner, backup)).isTrue();
    assertThat(owner.ttlMs).isEqualTo(60_000).isEqualTo(backup.ttlMs);
    assertThat(run(new Keys.Hold("other", 0), owner, backup)).isFalse();
    assertThat(owner.ttlMs).isEqualTo(60_000);
    assertThat(run(new Keys.Hold("a", -1), owner, backup)).isTrue();
    assertThat(owner.value).isNull();
    assertThat(backup.value).isNull();
  }

  @Test
  void confirming_a_record_gives_a_backup_that_missed_it_the_owners_record_with_its_expiry_untouched() {
    Entry owner = new Entry("{\"id\":\"w\",\"version\":1}");
    owner.ttlMs = 5_000;
    Entry backup = new Entry(null);
    assertThat(run(new Runs.Confirm(), owner, backup)).isEqualTo(owner.value);
    assertThat(owner.ttlMs).isEqualTo(5_000);
    assertThat(backup.value).isEqualTo(owner.value);
    assertThat(run(new Runs.Confirm(), new Entry(null), backup)).as("no record: nothing for the backup").isNull();
    assertThat(new Runs.Confirm().getBackupProcessor()).isNull();
  }

  @Test
  void a_record_written_by_compare_and_set_reaches_a_backup_that_missed_the_write_before_and_a_refused_one_nothing() {
    String v1 = "{\"id\":\"w\",\"state\":\"running\",\"version\":1}";
    String v2 = "{\"id\":\"w\",\"state\":\"running\",\"version\":2}";
    Entry owner = new Entry(v1);
    Entry backup = new Entry(null); // version 1's backup write never arrived
    assertThat(run(new Runs.Cas(1, v2, 0), owner, backup)).isTrue();
    assertThat(backup.value).isEqualTo(owner.value).isEqualTo(v2);
    assertThat(owner.ttlMs).as("running: no expiry").isZero();
    Entry untouched = new Entry(v1);
    assertThat(run(new Runs.Cas(1, "{\"version\":3}", 0), owner, untouched)).as("version 2 is there").isFalse();
    assertThat(untouched.value).isEqualTo(v1);
    assertThat(run(new Runs.Cas(1, v2, 0), owner, new Entry(null))).as("the same write again").isTrue();
  }
}
