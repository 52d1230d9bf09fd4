package io.steward.schedule;

import java.util.Locale;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * The period of an interval job: {@code "30s"}, {@code "5m"}, {@code "1h"}, {@code "250ms"}, {@code "1d"}, or a
 * number of milliseconds. Parsing never guesses: anything else is an {@link IllegalArgumentException} whose
 * message says what is accepted.
 */
final class Every {

  static final long MIN_MS = 100;
  static final long MAX_MS = 366L * 24 * 3600 * 1000;

  private static final Pattern TEXT = Pattern.compile("^\\s*(\\d{1,12})\\s*(ms|s|m|h|d)\\s*$");

  private Every() {
  }

  /** Milliseconds of a period given as text ({@code "5m"}) or a number (ms). */
  static long parse(Object value) {
    long ms;
    if (value instanceof Number n) {
      double d = n.doubleValue();
      if (d != Math.rint(d) || Double.isInfinite(d)) {
        throw new IllegalArgumentException("must be a whole number of milliseconds, got " + n);
      }
      ms = n.longValue();
    } else if (value instanceof String s) {
      Matcher m = TEXT.matcher(s.toLowerCase(Locale.ROOT));
      if (!m.matches()) {
        throw new IllegalArgumentException("must be a duration like 30s, 5m, 1h, 250ms, 1d or a number of "
          + "milliseconds, got '" + s + "'");
      }
      long amount = Long.parseLong(m.group(1));
      long unit = switch (m.group(2)) {
        case "ms" -> 1;
        case "s" -> 1_000;
        case "m" -> 60_000;
        case "h" -> 3_600_000;
        default -> 86_400_000;
      };
      if (amount > MAX_MS / unit + 1) {
        throw new IllegalArgumentException("must be at most " + format(MAX_MS) + ", got '" + s + "'");
      }
      ms = amount * unit;
    } else {
      throw new IllegalArgumentException("must be a duration string (30s, 5m, 1h) or a number of milliseconds");
    }
    if (ms <= 0) {
      throw new IllegalArgumentException("must be greater than 0, got " + value);
    }
    if (ms < MIN_MS) {
      throw new IllegalArgumentException("must be at least " + MIN_MS + "ms, got " + value);
    }
    if (ms > MAX_MS) {
      throw new IllegalArgumentException("must be at most " + format(MAX_MS) + ", got " + value);
    }
    return ms;
  }

  /** The shortest exact text for a period: 90000 → {@code "90s"}, 3600000 → {@code "1h"}. */
  static String format(long ms) {
    if (ms % 86_400_000 == 0) {
      return ms / 86_400_000 + "d";
    }
    if (ms % 3_600_000 == 0) {
      return ms / 3_600_000 + "h";
    }
    if (ms % 60_000 == 0) {
      return ms / 60_000 + "m";
    }
    if (ms % 1_000 == 0) {
      return ms / 1_000 + "s";
    }
    return ms + "ms";
  }
}
