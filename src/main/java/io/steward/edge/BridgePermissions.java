package io.steward.edge;

import io.steward.bus.AddressRule;
import io.steward.bus.Door;
import io.vertx.core.json.JsonObject;
import io.vertx.ext.bridge.BridgeEventType;
import io.vertx.ext.bridge.BridgeOptions;
import io.vertx.ext.bridge.PermittedOptions;

import java.util.List;
import java.util.function.BiFunction;

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
  static final String REPLY_PREFIX = "__vertx.reply.";

  private final List<AddressRule> inbound;
  private final List<AddressRule> outbound;

  private BridgePermissions(List<AddressRule> inbound, List<AddressRule> outbound) {
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
    return new BridgePermissions(AddressRule.parseList(section.getValue(inboundKey), sectionName + "." + inboundKey, error),
      AddressRule.parseList(section.getValue(outboundKey), sectionName + "." + outboundKey, error));
  }

  /**
   * Reads one more list of rules in the same form, e.g. a door's extra targets ({@code bridge.targets}, see
   * {@link Door}).
   */
  public static List<AddressRule> parseList(JsonObject section, String key, String sectionName,
                                     BiFunction<String, String, ? extends RuntimeException> error) {
    return AddressRule.parseList(section.getValue(key), sectionName + "." + key, error);
  }

  /** May a client send or publish to this address? */
  public boolean inbound(String address) {
    return AddressRule.anyPermits(inbound, address);
  }

  /** May a client register to receive what is sent to this address? */
  boolean outbound(String address) {
    return AddressRule.anyPermits(outbound, address);
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
  String refusal(BridgeEventType type, String address) {
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
    inbound.forEach(r -> options.addInboundPermitted(toVertx(r)));
    outbound.forEach(r -> options.addOutboundPermitted(toVertx(r)));
    return options;
  }

  private static PermittedOptions toVertx(AddressRule r) {
    return r.address() != null ? new PermittedOptions().setAddress(r.address())
      : new PermittedOptions().setAddressRegex(r.regex().pattern());
  }

  public List<AddressRule> inboundRules() {
    return inbound;
  }

  public List<AddressRule> outboundRules() {
    return outbound;
  }
}
