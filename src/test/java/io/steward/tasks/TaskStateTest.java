package io.steward.tasks;

import org.junit.jupiter.api.Test;

import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.lang.reflect.Field;
import java.lang.reflect.Modifier;
import java.net.URISyntaxException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.EnumSet;
import java.util.List;
import java.util.Set;
import java.util.TreeSet;
import java.util.spi.ToolProvider;
import java.util.stream.Stream;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

/** The one table of legal task transitions ({@link TaskState#next()}), and the record that keeps to it. */
class TaskStateTest {

  private static TaskRecord task() {
    TaskSpec spec = new TaskSpec("echo", null, "default", Restart.TRANSIENT, 3, 60_000, null, null);
    return new TaskRecord("task-7", spec, 0, 1, null, null, null, "node-a");
  }

  /** A record brought to {@code state} by legal transitions only. */
  private static TaskRecord in(TaskState state) {
    TaskRecord r = task();
    switch (state) {
      case PENDING -> { }
      case SCHEDULED -> r = new TaskRecord("task-7", r.spec, 0, 1, null, null, null, "node-a", 100);
      case LOST -> r.lost(1, "node died", 5);
      case REFUSED -> r.refused();
      default -> {
        assertThat(r.begin(r.nextAttempt(null), "node-a", 2)).isTrue();
        if (state == TaskState.RESTARTING) {
          assertThat(r.restartAfter(Outcome.FAILED, "boom", 3)).isNotNull();
        } else if (state != TaskState.RUNNING) {
          assertThat(r.end(state, Outcome.FAILED, null, "x", false, 4)).isNotNull();
        }
      }
    }
    assertThat(r.state()).isEqualTo(state);
    return r;
  }

  /** The transition of the record that leads to {@code to}. */
  private static void move(TaskRecord r, TaskState to) {
    switch (to) {
      case PENDING -> {
        if (!r.requeue()) {
          r.due();
        }
      }
      case RUNNING -> r.begin(r.nextAttempt(null), "node-b", 10);
      case RESTARTING -> r.restartAfter(Outcome.FAILED, "boom", 10);
      case SCHEDULED -> { } // no transition leads there: it is only ever a first state (the record's constructor)
      case LOST -> r.lost(1, "node died", 10);
      case REFUSED -> r.refused();
      default -> r.end(to, Outcome.FAILED, null, "x", false, 10);
    }
  }

  @Test
  void the_table_has_no_move_out_of_a_final_state_and_none_to_the_same_state() {
    for (TaskState s : TaskState.values()) {
      assertThat(s.next().isEmpty()).as("%s has no next state exactly when it is final", s).isEqualTo(s.isFinal());
      assertThat(s.next()).as("%s to itself", s).doesNotContain(s);
    }
    assertThat(TaskState.PENDING.next()).containsExactlyInAnyOrder(TaskState.RUNNING, TaskState.RESTARTING,
      TaskState.FAILED, TaskState.CANCELLED, TaskState.LOST, TaskState.REFUSED);
    assertThat(TaskState.RUNNING.next()).containsExactlyInAnyOrder(TaskState.SUCCEEDED, TaskState.FAILED,
      TaskState.TIMED_OUT, TaskState.RESTARTING, TaskState.CANCELLED);
    assertThat(TaskState.RESTARTING.next()).containsExactlyInAnyOrder(TaskState.PENDING, TaskState.CANCELLED);
    assertThat(TaskState.SCHEDULED.next()).containsExactlyInAnyOrder(TaskState.PENDING, TaskState.FAILED,
      TaskState.CANCELLED, TaskState.LOST, TaskState.REFUSED);
  }

  @Test
  void every_legal_transition_works() {
    int moves = 0;
    for (TaskState from : TaskState.values()) {
      for (TaskState to : from.next()) {
        TaskRecord r = in(from);
        move(r, to);
        assertThat(r.state()).as("%s -> %s", from, to).isEqualTo(to);
        moves++;
      }
    }
    assertThat(moves).isEqualTo(18);
  }

  @Test
  void no_transition_reaches_a_state_the_table_does_not_allow_from_the_current_one() {
    for (TaskState from : TaskState.values()) {
      for (TaskState to : EnumSet.complementOf(EnumSet.copyOf(from.next()))) {
        TaskRecord r = in(from);
        try {
          move(r, to); // either a no-op (a race lost: the task ended, or its attempt is not awaited) or a throw
        } catch (IllegalStateException e) {
          assertThat(e).hasMessageContaining("task-7").hasMessageContaining(from.name()).hasMessageContaining(to.name());
        }
        assertThat(r.state()).as("%s -> %s must not happen", from, to).isEqualTo(from);
      }
    }
  }

  @Test
  void illegal_transitions_throw_naming_the_task_and_both_states() {
    assertThatThrownBy(() -> in(TaskState.PENDING).end(TaskState.SUCCEEDED, Outcome.SUCCEEDED, "r", null, false, 9))
      .isInstanceOf(IllegalStateException.class)
      .hasMessageContaining("task task-7").hasMessageContaining("PENDING -> SUCCEEDED");
    assertThatThrownBy(() -> in(TaskState.RUNNING).lost(1, "x", 9))
      .isInstanceOf(IllegalStateException.class).hasMessageContaining("RUNNING -> LOST");
    assertThatThrownBy(() -> in(TaskState.RESTARTING).end(TaskState.TIMED_OUT, Outcome.TIMED_OUT, null, "t", false, 9))
      .isInstanceOf(IllegalStateException.class).hasMessageContaining("RESTARTING -> TIMED_OUT");
    assertThatThrownBy(() -> in(TaskState.RESTARTING).lost(1, "x", 9))
      .isInstanceOf(IllegalStateException.class).hasMessageContaining("RESTARTING -> LOST");
    assertThatThrownBy(() -> in(TaskState.LOST).lost(1, "x", 9))
      .isInstanceOf(IllegalStateException.class).hasMessageContaining("LOST -> LOST");
    assertThatThrownBy(() -> in(TaskState.RUNNING).end(TaskState.RUNNING, null, null, null, false, 9))
      .isInstanceOf(IllegalStateException.class).hasMessageContaining("not final");
  }

  @Test
  void a_race_lost_is_a_no_op_not_an_error() {
    TaskRecord cancelled = in(TaskState.CANCELLED);
    assertThat(cancelled.end(TaskState.SUCCEEDED, Outcome.SUCCEEDED, "r", null, false, 9)).as("ended twice").isNull();
    assertThat(cancelled.restartAfter(Outcome.FAILED, "boom", 9)).as("restart after a cancel").isNull();
    assertThat(cancelled.requeue()).isFalse();
    assertThat(cancelled.nextAttempt(null)).isNull();
    cancelled.refused(); // a durable submit whose record could not be written, cancelled by id meanwhile
    assertThat(cancelled.state()).isEqualTo(TaskState.CANCELLED);
    TaskRecord scheduled = new TaskRecord("task-8", task().spec, 0, 1, null, null, null, "node-a", 100);
    assertThat(scheduled.nextAttempt(null)).as("no attempt before its time").isNull();
    assertThat(scheduled.end(TaskState.CANCELLED, null, null, "cancelled", false, 9)).isNotNull();
    assertThat(scheduled.due()).as("due after a cancel").isFalse();
    assertThat(scheduled.state()).isEqualTo(TaskState.CANCELLED);
    TaskRecord pending = task();
    Attempt stale = pending.nextAttempt(null);
    pending.nextAttempt(null);
    assertThat(pending.begin(stale, "node-a", 9)).as("an attempt that is not the current one").isFalse();
    assertThat(pending.state()).isEqualTo(TaskState.PENDING);
  }

  @Test
  void the_state_field_is_private_and_only_transition_writes_it() throws Exception {
    Field state = TaskRecord.class.getDeclaredField("state");
    assertThat(Modifier.isPrivate(state.getModifiers())).isTrue();
    for (Field f : TaskRecord.class.getDeclaredFields()) {
      if (!Modifier.isStatic(f.getModifiers())) {
        assertThat(Modifier.isPrivate(f.getModifiers()) || Modifier.isFinal(f.getModifiers()))
          .as("field %s is private or final", f.getName()).isTrue();
      }
    }
    // The bytecode of every class of the package (one javap run): which methods write TaskRecord.state.
    Set<String> writers = new TreeSet<>();
    String type = null;
    String method = null;
    for (String line : javap(classFiles()).split("\n")) {
      if (!line.startsWith(" ") && line.matches(".*\\b(class|interface) .*\\{")) {
        type = line.replaceAll(".*?\\b(?:class|interface) ([\\w.$]+).*", "$1");
      } else if (line.startsWith("  ") && !line.startsWith("   ") && line.endsWith(";") && line.contains("(")) {
        method = line.trim();
      } else if (line.contains("putfield") && (line.contains("TaskRecord.state:")
        || ("io.steward.tasks.TaskRecord".equals(type) && line.contains("Field state:")))) {
        writers.add(type + " " + method);
      }
    }
    // The constructor sets the first state (PENDING, or SCHEDULED with a runAt); after that, only transition().
    assertThat(writers).containsExactly("io.steward.tasks.TaskRecord private io.steward.tasks.TaskRecord(java.lang.String, "
      + "java.lang.String, long, io.steward.tasks.TaskSpec, long, long, io.steward.tasks.Supervisor$Admission, "
      + "io.steward.tasks.TaskType, io.steward.tasks.TaskMeters, java.lang.String, long);",
      "io.steward.tasks.TaskRecord private void transition(io.steward.tasks.TaskState);");
  }

  private static List<Path> classFiles() throws URISyntaxException, java.io.IOException {
    Path dir = Path.of(TaskRecord.class.getResource("TaskRecord.class").toURI()).getParent();
    try (Stream<Path> files = Files.list(dir)) {
      List<Path> out = new ArrayList<>(files.filter(p -> p.toString().endsWith(".class")).toList());
      assertThat(out).hasSizeGreaterThan(20);
      return out;
    }
  }

  private static String javap(List<Path> classFiles) {
    ToolProvider javap = ToolProvider.findFirst("javap").orElseThrow(() -> new AssertionError("javap: run the tests on a JDK"));
    ByteArrayOutputStream out = new ByteArrayOutputStream();
    ByteArrayOutputStream err = new ByteArrayOutputStream();
    List<String> args = new ArrayList<>(List.of("-c", "-p"));
    classFiles.forEach(f -> args.add(f.toString()));
    int rc = javap.run(new PrintStream(out, true, StandardCharsets.UTF_8), new PrintStream(err, true, StandardCharsets.UTF_8),
      args.toArray(String[]::new));
    assertThat(rc).as("javap: %s", err.toString(StandardCharsets.UTF_8)).isZero();
    return out.toString(StandardCharsets.UTF_8);
  }
}
