package io.steward.tasks;

import java.util.List;
import java.util.Locale;

/**
 * OTP restart strategies, per task. {@code temporary} (the default) is never restarted; {@code transient} is
 * restarted after an abnormal end (an exception, a timeout, a lost node); {@code permanent} is restarted after
 * any end, a normal one too, until it is cancelled or reaches its restart limit.
 */
enum Restart {
  TEMPORARY, TRANSIENT, PERMANENT;

  public static final List<String> NAMES = List.of("temporary", "transient", "permanent");

  /** The name used on the wire. */
  public String wire() {
    return name().toLowerCase(Locale.ROOT);
  }

  public static Restart of(String wire) {
    return valueOf(wire.toUpperCase(Locale.ROOT));
  }

  /** Durable tasks are recorded in Hazelcast before they are accepted, and survive the death of their node. */
  public boolean durable() {
    return this != TEMPORARY;
  }
}
