package io.steward.docs;

import java.util.ArrayList;
import java.util.HashMap;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * Just enough Markdown for {@link ReadmeTest}: the link targets of a page, and the anchors its headings get on
 * GitHub (lower case, punctuation but hyphens and underscores dropped, spaces as hyphens, {@code -1}, {@code -2}
 * for repeats). Fenced code blocks and inline code are skipped: a {@code # comment} in a shell block is no heading.
 */
final class Markdown {

  private static final Pattern LINK = Pattern.compile("\\]\\(([^)\\s]+)\\)");
  private static final Pattern HEADING = Pattern.compile("^#{1,6}\\s+(.*?)\\s*#*\\s*$");
  private static final Pattern INLINE_CODE = Pattern.compile("`[^`]*`");

  private Markdown() {
  }

  /** The targets of the page's links ({@code [text](target)}), outside code. */
  static List<String> links(String page) {
    List<String> links = new ArrayList<>();
    for (String line : prose(page)) {
      Matcher m = LINK.matcher(INLINE_CODE.matcher(line).replaceAll(""));
      while (m.find()) {
        links.add(m.group(1));
      }
    }
    return links;
  }

  /** The anchors of the page's headings, as GitHub makes them. */
  static Set<String> anchors(String page) {
    Set<String> anchors = new LinkedHashSet<>();
    Map<String, Integer> seen = new HashMap<>();
    for (String line : prose(page)) {
      Matcher m = HEADING.matcher(line);
      if (m.matches()) {
        String slug = slug(m.group(1));
        int n = seen.merge(slug, 1, Integer::sum) - 1;
        anchors.add(n == 0 ? slug : slug + "-" + n);
      }
    }
    return anchors;
  }

  static String slug(String heading) {
    String text = heading.replaceAll("\\[([^\\]]*)\\]\\([^)]*\\)", "$1");   // a link in a heading keeps its text
    StringBuilder sb = new StringBuilder();
    text.toLowerCase(java.util.Locale.ROOT).codePoints().forEach(c -> {
      if (Character.isLetterOrDigit(c) || c == '-' || c == '_') {
        sb.appendCodePoint(c);
      } else if (c == ' ') {
        sb.append('-');
      }
    });
    return sb.toString();
  }

  /** The page's lines outside fenced code blocks. */
  private static List<String> prose(String page) {
    List<String> lines = new ArrayList<>();
    boolean fenced = false;
    for (String line : page.split("\n", -1)) {
      if (line.stripLeading().startsWith("```")) {
        fenced = !fenced;
        continue;
      }
      if (!fenced) {
        lines.add(line);
      }
    }
    return lines;
  }
}
