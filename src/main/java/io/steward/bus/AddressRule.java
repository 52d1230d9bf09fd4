package io.steward.bus;

import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;

import java.util.ArrayList;
import java.util.List;
import java.util.Set;
import java.util.function.BiFunction;
import java.util.regex.Pattern;
import java.util.regex.PatternSyntaxException;

/**
 * One rule of which addresses a door lets through: an exact address, or a regex the whole address must match.
 * The doors' settings ({@code bridge.inbound}, {@code http.targets}, ...) and a {@link Door} are lists of these.
 */
public record AddressRule(String address, Pattern regex) {

  private static final Set<String> RULE_KEYS = Set.of("address", "addressRegex");

  public boolean permits(String candidate) {
    return address != null ? address.equals(candidate) : regex.matcher(candidate).matches();
  }

  /** Whether any of {@code rules} permits {@code address}; never a null address. */
  public static boolean anyPermits(List<AddressRule> rules, String address) {
    if (address == null) {
      return false;
    }
    for (AddressRule r : rules) {
      if (r.permits(address)) {
        return true;
      }
    }
    return false;
  }

  /**
   * Reads a list of rules: each entry is an address string, {@code {"address": "…"}} or
   * {@code {"addressRegex": "…"}}. A bad entry is thrown as {@code error.apply(path, reason)} with the path of
   * the entry ({@code bridge.inbound[2].addressRegex}); null is an empty list.
   */
  public static List<AddressRule> parseList(Object value, String path, BiFunction<String, String, ? extends RuntimeException> error) {
    List<AddressRule> rules = new ArrayList<>();
    if (value == null) {
      return rules;
    }
    if (!(value instanceof JsonArray array)) {
      throw error.apply(path, "must be a JSON array of rules");
    }
    for (int i = 0; i < array.size(); i++) {
      String where = path + "[" + i + "]";
      Object entry = array.getValue(i);
      if (entry instanceof String s) {
        rules.add(new AddressRule(nonBlank(s, where, error), null));
        continue;
      }
      if (!(entry instanceof JsonObject o)) {
        throw error.apply(where, "must be an address string or {\"address\": …} or {\"addressRegex\": …}");
      }
      for (String key : o.fieldNames()) {
        if (!RULE_KEYS.contains(key)) {
          throw error.apply(where + "." + key, "unknown key (a rule has exactly one of address, addressRegex)");
        }
      }
      Object address = o.getValue("address");
      Object regex = o.getValue("addressRegex");
      if ((address == null) == (regex == null)) {
        throw error.apply(where, "must have exactly one of address, addressRegex"
          + " (a rule with neither would let every address through)");
      }
      if (address != null) {
        if (!(address instanceof String a)) {
          throw error.apply(where + ".address", "must be a string");
        }
        rules.add(new AddressRule(nonBlank(a, where + ".address", error), null));
      } else {
        if (!(regex instanceof String r)) {
          throw error.apply(where + ".addressRegex", "must be a string");
        }
        try {
          rules.add(new AddressRule(null, Pattern.compile(nonBlank(r, where + ".addressRegex", error))));
        } catch (PatternSyntaxException e) {
          throw error.apply(where + ".addressRegex", "not a valid regex: " + e.getDescription());
        }
      }
    }
    return rules;
  }

  private static String nonBlank(String s, String where, BiFunction<String, String, ? extends RuntimeException> error) {
    if (s.isBlank()) {
      throw error.apply(where, "must not be blank");
    }
    return s;
  }
}
