package io.steward.observe;

/**
 * Makes a value a client controls (a cache key, a bridge address, a job or cache name, an error message that
 * quotes one) safe to put in a log line: control characters are written as escapes ({@code \n}, {@code \r},
 * {@code \t}, {@code \}{@code u001b}…), so a value cannot start a forged log line or move the terminal's cursor.
 * Line and paragraph separators (U+2028, U+2029) are escaped too. Everything else is kept as it is.
 */
public final class LogText {

  private LogText() {
  }

  /** The value with its control characters escaped; {@code "null"} for null (as a log line would print it). */
  public static String escape(Object value) {
    String s = String.valueOf(value);
    int i = 0;
    while (i < s.length() && !special(s.charAt(i))) {
      i++;
    }
    if (i == s.length()) {
      return s; // the usual case: nothing to escape, no copy
    }
    StringBuilder out = new StringBuilder(s.length() + 16).append(s, 0, i);
    for (; i < s.length(); i++) {
      char c = s.charAt(i);
      if (!special(c)) {
        out.append(c);
      } else if (c == '\n') {
        out.append("\\n");
      } else if (c == '\r') {
        out.append("\\r");
      } else if (c == '\t') {
        out.append("\\t");
      } else {
        out.append(String.format("\\u%04x", (int) c));
      }
    }
    return out.toString();
  }

  private static boolean special(char c) {
    return c < 0x20 || (c >= 0x7f && c <= 0x9f) || c == '\u2028' || c == '\u2029';
  }
}
