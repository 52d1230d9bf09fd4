package io.steward.reliability;

import java.util.Map;

/** Reads figures out of a node's {@code /metrics} text (the Prometheus exposition format). */
final class Prometheus {

  private Prometheus() {
  }

  /** The sum of every sample of {@code metric} whose labels include all of {@code labels}. */
  static double sum(String text, String metric, Map<String, String> labels) {
    double total = 0;
    for (String line : text.split("\n")) {
      if (line.startsWith("#") || !line.startsWith(metric)) {
        continue;
      }
      int brace = line.indexOf('{');
      int space = line.lastIndexOf(' ');
      String name = brace > 0 ? line.substring(0, brace) : line.substring(0, line.indexOf(' '));
      if (!name.equals(metric)) {
        continue;
      }
      String labelText = brace > 0 ? line.substring(brace, line.indexOf('}') + 1) : "";
      boolean all = labels.entrySet().stream().allMatch(e -> labelText.contains(e.getKey() + "=\"" + e.getValue() + "\""));
      if (all) {
        total += Double.parseDouble(line.substring(space + 1));
      }
    }
    return total;
  }

  static double sum(String text, String metric) {
    return sum(text, metric, Map.of());
  }
}
