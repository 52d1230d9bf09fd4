package io.steward.testing;

import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * The samples of a Prometheus text exposition ({@code /metrics}), read the way Prometheus reads them:
 * {@code name{label="value",…} number} lines, with the {@code # HELP} and {@code # TYPE} of each family.
 */
public final class PrometheusText {

  /** One sample line. */
  public record Sample(String name, Map<String, String> labels, double value) {
    public String label(String key) {
      return labels.get(key);
    }
  }

  private static final Pattern LINE = Pattern.compile("^([a-zA-Z_:][a-zA-Z0-9_:]*)(\\{(.*)})?\\s+(\\S+)(\\s+\\d+)?$");
  private static final Pattern LABEL = Pattern.compile("([a-zA-Z_][a-zA-Z0-9_]*)=\"((?:[^\"\\\\]|\\\\.)*)\",?");

  private final List<Sample> samples = new ArrayList<>();
  private final Map<String, String> help = new LinkedHashMap<>();
  private final Map<String, String> types = new LinkedHashMap<>();

  private PrometheusText() {
  }

  public static PrometheusText parse(String text) {
    PrometheusText out = new PrometheusText();
    for (String line : text.split("\n")) {
      if (line.startsWith("# HELP ")) {
        String[] parts = line.substring(7).split(" ", 2);
        out.help.put(parts[0], parts.length > 1 ? parts[1] : "");
      } else if (line.startsWith("# TYPE ")) {
        String[] parts = line.substring(7).split(" ", 2);
        out.types.put(parts[0], parts.length > 1 ? parts[1] : "");
      } else if (!line.isBlank() && !line.startsWith("#")) {
        Matcher m = LINE.matcher(line.trim());
        if (!m.matches()) {
          throw new IllegalArgumentException("not a Prometheus sample line: " + line);
        }
        Map<String, String> labels = new LinkedHashMap<>();
        if (m.group(3) != null) {
          Matcher l = LABEL.matcher(m.group(3));
          while (l.find()) {
            labels.put(l.group(1), l.group(2));
          }
        }
        out.samples.add(new Sample(m.group(1), labels, Double.parseDouble(m.group(4))));
      }
    }
    return out;
  }

  public List<Sample> samples() {
    return samples;
  }

  /** Samples of this name whose labels include every given pair ({@code "cache", "users", …}). */
  public List<Sample> find(String name, String... labelPairs) {
    List<Sample> found = new ArrayList<>();
    for (Sample s : samples) {
      if (s.name().equals(name) && matches(s, labelPairs)) {
        found.add(s);
      }
    }
    return found;
  }

  /** The sum of the matching samples' values; NaN when none matches (so an assertion names what is missing). */
  public double value(String name, String... labelPairs) {
    List<Sample> found = find(name, labelPairs);
    return found.isEmpty() ? Double.NaN : found.stream().mapToDouble(Sample::value).sum();
  }

  /** The {@code # HELP} text of a family (the name without {@code _total}, {@code _count}, …), or null. */
  public String help(String family) {
    return help.get(family);
  }

  /** The {@code # TYPE} of a family, or null. */
  public String type(String family) {
    return types.get(family);
  }

  public Map<String, String> types() {
    return types;
  }

  private static boolean matches(Sample s, String... pairs) {
    for (int i = 0; i + 1 < pairs.length; i += 2) {
      if (!pairs[i + 1].equals(s.labels().get(pairs[i]))) {
        return false;
      }
    }
    return true;
  }
}
