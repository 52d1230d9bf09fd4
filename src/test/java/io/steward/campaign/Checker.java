package io.steward.campaign;

import java.util.List;

/** A promise, judged as a pure function of a recorded history. Never reads the clock, the network or files. */
public interface Checker {

  /** The checker's name, as printed on a CAMPAIGN line. */
  String name();

  /** Every anomaly the history shows; empty when the promise held. */
  List<Anomaly> check(History history);
}
