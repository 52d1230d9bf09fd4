package io.steward.bus;

import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import io.vertx.ext.bridge.BridgeEventType;
import io.vertx.ext.bridge.BridgeOptions;
import io.vertx.ext.bridge.PermittedOptions;

import java.util.ArrayList;
import java.util.List;
import java.util.Set;
import java.util.function.BiFunction;
import java.util.regex.Pattern;
import java.util.regex.PatternSyntaxException;

/**
 * Which addresses an event-bus bridge (SockJS or TCP) lets through: {@code inbound} for what clients send
 * or publish, {@code outbound} for what they may register to receive. Deny by default: an empty list lets
 * nothing through, and every rule names an address or a regex (a rule with neither, which the Vert.x
 * libraries read as "everything", is a configuration error).
 *
 * <p>Both bridges check every bridge event with {@link #refusal} on top of the library's own check, so a
 * gap in one is not a gap in the other.
 */
public final class BridgePermissions {

  /** Vert.x reply addresses: {@code __vertx.reply.<uuid>} on a clustered event bus. */
  public static final String REPLY_PREFIX = "__vertx.reply.";

  private static final Set<String> RULE_KEYS = Set.of("address", "addressRegex");

  /** One rule: an exact address, or a regex the whole address must match. */
  public record Rule(String address, Pattern regex) {
    boolean permits(String candidate) {
      return address != null ? address.equals(candidate) : regex.matcher(candidate).matches();
    }

    PermittedOptions toVertx() {
      return address != null ? new PermittedOptions().setAddress(address)
        : new PermittedOptions().setAddressRegex(regex.pattern());
    }
  }

  private final List<Rule> inbound;
  private final List<Rule> outbound;

  private BridgePermissions(List<Rule> inbound, List<Rule> outbound) {
    this.inbound = List.copyOf(inbound);
    this.outbound = List.copyOf(outbound);
  }

  /**
   * Reads the two lists from a configuration section; each entry is an address string,
   * {@code {"address": "…"}} or {@code {"addressRegex": "…"}}. A bad entry is thrown as
   * {@code error.apply(path, reason)} with the path of the entry ({@code bridge.inbound[2].addressRegex}).
   */
  public static BridgePermissions parse(JsonObject section, String inboundKey, String outboundKey, String sectionName,
                                        BiFunction<String, String, ? extends RuntimeException> error) {
    return new BridgePermissions(rules(section.getValue(inboundKey), sectionName + "." + inboundKey, error),
      rules(section.getValue(outboundKey), sectionName + "." + outboundKey, error));
  }

  /**
   * Reads one more list of rules in the same form, e.g. a door's extra targets ({@code bridge.targets}, see
   * {@link Door}).
   */
  public static List<Rule> parseList(JsonObject section, String key, String sectionName,
                                     BiFunction<String, String, ? extends RuntimeException> error) {
    return rules(section.getValue(key), sectionName + "." + key, error);
  }

  static List<Rule> rules(Object value, String path, BiFunction<String, String, ? extends RuntimeException> error) {
    List<Rule> rules = new ArrayList<>();
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
        rules.add(new Rule(nonBlank(s, where, error), null));
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
        rules.add(new Rule(nonBlank(a, where + ".address", error), null));
      } else {
        if (!(regex instanceof String r)) {
          throw error.apply(where + ".addressRegex", "must be a string");
        }
        try {
          rules.add(new Rule(null, Pattern.compile(nonBlank(r, where + ".addressRegex", error))));
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

  /** May a client send or publish to this address? */
  public boolean inbound(String address) {
    return matches(inbound, address);
  }

  /** May a client register to receive what is sent to this address? */
  public boolean outbound(String address) {
    return matches(outbound, address);
  }

  private static boolean matches(List<Rule> rules, String address) {
    if (address == null) {
      return false;
    }
    for (Rule r : rules) {
      if (r.permits(address)) {
        return true;
      }
    }
    return false;
  }

  /**
   * Why a bridge event must not pass ({@code "inbound"} or {@code "outbound"}), or null if it may.
   * SEND and PUBLISH are checked against the inbound list; REGISTER, UNREGISTER and RECEIVE against the
   * outbound list; other events (socket life cycle, pings) carry no address and pass.
   *
   * <p>One exemption: a SEND to a Vert.x reply address ({@value #REPLY_PREFIX}…) is a client answering a
   * message it received. It passes here and the library decides: it lets it through only to a message
   * that client was sent and is still waiting for an answer (reply addresses are random UUIDs on a
   * clustered bus); otherwise it checks its own copy of the inbound list.
   */
  public String refusal(BridgeEventType type, String address) {
    switch (type) {
      case SEND:
        if (address != null && address.startsWith(REPLY_PREFIX)) {
          return null;
        }
        return inbound(address) ? null : "inbound";
      case PUBLISH:
        return inbound(address) ? null : "inbound";
      case REGISTER:
      case UNREGISTER:
      case RECEIVE:
        return outbound(address) ? null : "outbound";
      default:
        return null;
    }
  }

  /** Gives the library the same lists, so its own check agrees with ours. */
  public <T extends BridgeOptions> T applyTo(T options) {
    inbound.forEach(r -> options.addInboundPermitted(r.toVertx()));
    outbound.forEach(r -> options.addOutboundPermitted(r.toVertx()));
    return options;
  }

  public List<Rule> inboundRules() {
    return inbound;
  }

  public List<Rule> outboundRules() {
    return outbound;
  }
}
