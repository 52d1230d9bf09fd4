package io.steward.reliability;

import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;

/**
 * Scenario 6's bookkeeping: every bad input and what came back, by door (bus, HTTP, TCP bridge, SockJS bridge).
 * An answer is <em>clear</em> when it is a 4xx with a message (on HTTP: a JSON body with that code and an
 * {@code error}); a success counts as <em>valid after all</em> only for a case that may be valid
 * ({@link BadInputs.Kind#WRONG_TYPES}); anything else (a 5xx, a timeout, silence, a success for a body that cannot
 * be valid, a 4xx without a message) is <em>unclear</em>, and fails the scenario.
 */
final class Tally {

  private final Map<String, int[]> byDoor = new TreeMap<>(); // cases, clear, valid after all, unclear
  private final List<String> unclear = new ArrayList<>();

  /** {@code code}: 0 for a success, the failure code (HTTP status) otherwise, -1 for no answer. */
  synchronized void record(String door, String target, BadInputs.Case c, int code, String message) {
    int[] counts = byDoor.computeIfAbsent(door, d -> new int[4]);
    counts[0]++;
    boolean clear = code >= 400 && code < 500 && message != null && !message.isBlank();
    if (clear) {
      counts[1]++;
    } else if (code == 0 && (c == null || c.kind() == BadInputs.Kind.WRONG_TYPES)) {
      counts[2]++;
    } else {
      counts[3]++;
      unclear.add(door + " " + target + " <- " + (c == null ? "?" : c.label() + " " + abbreviate(c.text())) + ": "
        + (code == 0 ? "accepted" : code == -1 ? "unclear" : code) + (message == null ? "" : " " + abbreviate(message)));
    }
  }

  /** An answer that is clear or not, decided by the caller (bridge frames that are not requests). */
  synchronized void recordFrame(String door, String frame, boolean clear, String answer) {
    int[] counts = byDoor.computeIfAbsent(door, d -> new int[4]);
    counts[0]++;
    if (clear) {
      counts[1]++;
    } else {
      counts[3]++;
      unclear.add(door + " frame " + abbreviate(frame) + ": " + abbreviate(answer));
    }
  }

  synchronized int cases() {
    return byDoor.values().stream().mapToInt(c -> c[0]).sum();
  }

  synchronized int clear() {
    return byDoor.values().stream().mapToInt(c -> c[1]).sum();
  }

  synchronized int validAfterAll() {
    return byDoor.values().stream().mapToInt(c -> c[2]).sum();
  }

  synchronized List<String> unclear() {
    return List.copyOf(unclear);
  }

  /** {@code door cases/clear/valid/unclear} for each door. */
  synchronized String byDoor() {
    StringBuilder sb = new StringBuilder();
    byDoor.forEach((door, c) -> sb.append(sb.length() == 0 ? "" : " ").append(door).append(' ')
      .append(c[0]).append('/').append(c[1]).append('/').append(c[2]).append('/').append(c[3]));
    return sb.toString();
  }

  static String abbreviate(String s) {
    String flat = s.replace("\n", "\\n");
    return flat.length() <= 120 ? flat : flat.substring(0, 120) + "…(" + flat.length() + ")";
  }
}
