package io.steward.schedule;

import java.util.List;

/**
 * What happens to ticks nobody fired in time (downtime, failover, a pause, an overloaded node). Never a burst:
 * at most one late run, whatever the number of ticks missed.
 */
enum Misfire {
  /** Default: record them as missed and wait for the next tick. */
  SKIP("skip"),
  /** Record them as missed, except the latest, which runs once, late. */
  FIRE_ONCE("fire-once");

  static final List<String> NAMES = List.of("skip", "fire-once");

  final String text;

  Misfire(String text) {
    this.text = text;
  }

  static Misfire of(String text) {
    return text.equals("fire-once") ? FIRE_ONCE : SKIP;
  }
}
