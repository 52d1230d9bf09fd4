package io.steward.store;

import org.junit.jupiter.api.Test;

import java.util.concurrent.atomic.AtomicLong;

import static org.assertj.core.api.Assertions.assertThat;

class GateTest {

  private final AtomicLong now = new AtomicLong(1_000_000);
  private final Gate gate = new Gate(now::get, 4_000);

  @Test
  void a_failure_opens_the_gate_and_the_probe_waits_for_an_exponential_backoff_up_to_the_maximum() {
    assertThat(gate.up()).isTrue();
    assertThat(gate.failure("refused")).as("starts an outage").isTrue();
    assertThat(gate.up()).isFalse();
    assertThat(gate.probeDue()).isFalse();
    now.addAndGet(499);
    assertThat(gate.probeDue()).isFalse();
    now.addAndGet(1);
    assertThat(gate.probeDue()).isTrue();

    assertThat(gate.failure("refused")).as("the same outage").isFalse();
    now.addAndGet(999);
    assertThat(gate.probeDue()).isFalse();
    now.addAndGet(1);
    assertThat(gate.probeDue()).isTrue();

    assertThat(gate.backoffMs(1)).isEqualTo(500);
    assertThat(gate.backoffMs(2)).isEqualTo(1_000);
    assertThat(gate.backoffMs(3)).isEqualTo(2_000);
    assertThat(gate.backoffMs(4)).isEqualTo(4_000);
    assertThat(gate.backoffMs(5)).as("capped").isEqualTo(4_000);
    assertThat(gate.backoffMs(100)).as("no overflow").isEqualTo(4_000);
  }

  @Test
  void a_success_closes_the_gate_and_starts_the_backoff_again() {
    gate.failure("refused");
    gate.failure("refused");
    gate.failure("refused");
    now.addAndGet(10_000);
    Gate.Snapshot down = gate.snapshot();
    assertThat(down.up()).isFalse();
    assertThat(down.downForMs()).isEqualTo(10_000);
    assertThat(down.failedAttempts()).isEqualTo(3);
    assertThat(down.lastError()).isEqualTo("refused");

    assertThat(gate.success()).as("ends the outage").isTrue();
    assertThat(gate.success()).isFalse();
    Gate.Snapshot up = gate.snapshot();
    assertThat(up.up()).isTrue();
    assertThat(up.sinceSuccessMs()).isZero();
    assertThat(up.lastError()).isNull();

    gate.failure("again");
    now.addAndGet(500);
    assertThat(gate.probeDue()).as("first backoff again").isTrue();
  }
}
