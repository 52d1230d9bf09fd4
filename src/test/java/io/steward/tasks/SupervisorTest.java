package io.steward.tasks;

import io.micrometer.core.instrument.simple.SimpleMeterRegistry;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

import static org.assertj.core.api.Assertions.assertThat;

/** A supervisor's admission: units of capacity that are taken while there is room and given back once each. */
class SupervisorTest {

  private final Supervisor sup = new Supervisor(new SupervisorConfig("two", 1, 1, false, 1, 0, 0, null), new SimpleMeterRegistry());

  @AfterEach
  void close() {
    sup.close();
  }

  @Test
  void a_unit_of_capacity_is_given_back_once_however_often_it_is_released() {
    Supervisor.Admission first = sup.admit();
    Supervisor.Admission second = sup.admit();
    assertThat(first).as("the first unit").isNotNull();
    assertThat(second).as("the second unit").isNotNull();
    assertThat(sup.admit()).as("a third unit of a supervisor of capacity 2").isNull();

    assertThat(first.release()).as("the first release gives the unit back").isTrue();
    assertThat(first.release()).as("a second release of the same unit").isFalse();
    assertThat(sup.admitted()).as("units held after releasing one of two, twice").isEqualTo(1);

    assertThat(sup.admit()).as("the unit given back is taken again").isNotNull();
    assertThat(sup.admit()).as("no more than the capacity, however often a unit was released").isNull();
  }

  @Test
  void a_task_takes_its_supervisor_from_its_unit_of_capacity() {
    Supervisor.Admission unit = sup.tryAdmit();
    TaskRecord r = new TaskRecord("t-1", new TaskSpec("echo", null, "two", Restart.TEMPORARY, 0, 1, null, null), 0, 1,
      unit, null, null, "node-a");
    assertThat(r.supervisor).isSameAs(sup);
    assertThat(r.admission).isSameAs(unit);
  }
}
