package io.steward.bus;

import io.vertx.core.MultiMap;
import io.vertx.core.eventbus.DeliveryOptions;
import io.vertx.core.json.DecodeException;
import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;

import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;

/**
 * The door a request came in through (the TCP bridge, the SockJS bridge, the HTTP API) and the targets it
 * permits: an address inside a body ({@code bus} tasks, fan-out requests and gathers, schedule actions, compute
 * addresses) is a forwarding address, so a door that lets a client reach {@code steward.tasks.submit} must also
 * decide where the task may send.
 *
 * <p>The door stamps every message a client sends with the header {@value #HEADER}, overwriting any a client
 * wrote: {@code {"door": "the TCP bridge", "setting": "bridge.inbound or bridge.targets", "permits": [rules]}},
 * rules in the form of the bridge settings. A module that forwards to an address named in a body calls
 * {@link #check} before it accepts the request (a refusal is a 403 naming the field, the address and the
 * setting), and sends what it forwards with the same header ({@link #stamp}), so a task that submits a task is
 * held to the same rule, on any node. Whatever is kept for later (a schedule, a durable task) keeps the rule
 * ({@link #toJson}). A message without the header comes from inside the cluster and is not restricted.
 */
public final class Door {

  /** The event-bus header naming the door and its permitted targets. */
  public static final String HEADER = "steward-door";
  private static final int MAX_PARSED = 256;
  private static final Map<String, Door> PARSED = new ConcurrentHashMap<>();

  private final String name;
  private final String setting;
  private final List<AddressRule> rules;
  private final String header;

  private Door(String name, String setting, List<AddressRule> rules) {
    this.name = name;
    this.setting = setting;
    this.rules = List.copyOf(rules);
    this.header = toJson().encode();
  }

  /**
   * A door's rule: {@code name} says which door ("the TCP bridge"), {@code setting} which settings permit more
   * ("bridge.inbound or bridge.targets"); a target is permitted when any rule of any list matches it.
   */
  @SafeVarargs
  public static Door of(String name, String setting, List<AddressRule>... lists) {
    List<AddressRule> all = new ArrayList<>();
    for (List<AddressRule> l : lists) {
      all.addAll(l);
    }
    return new Door(name, setting, all);
  }

  /** The door of a message, or null for a message from inside the cluster; a malformed header is a 400. */
  public static Door from(MultiMap headers) {
    String value = headers == null ? null : headers.get(HEADER);
    return value == null ? null : parse(value);
  }

  /** Reads a rule kept as JSON (with a job, in a task's payload); {@code field} names it in a 400. */
  public static Door fromJson(Object json, String field) {
    if (!(json instanceof JsonObject o)) {
      throw StewardException.badRequest(field, "must be a door's rule {door, setting, permits}, got " + Fields.typeName(json));
    }
    String door = o.getValue("door") instanceof String s ? s : null;
    String setting = o.getValue("setting") instanceof String s ? s : null;
    if (door == null || setting == null || o.size() != 3) {
      throw StewardException.badRequest(field, "must be a door's rule {door, setting, permits} (set by Steward's doors)");
    }
    List<AddressRule> rules = AddressRule.parseList(o.getValue("permits"), field + ".permits",
      StewardException::badRequest);
    return new Door(door, setting, rules);
  }

  private static Door parse(String value) {
    Door known = PARSED.get(value);
    if (known != null) {
      return known;
    }
    Object json;
    try {
      json = new JsonObject(value);
    } catch (DecodeException | ClassCastException e) {
      throw StewardException.badRequest("headers." + HEADER, "is not a door's rule (set by Steward's doors; JSON {door, "
        + "setting, permits})");
    }
    Door door = fromJson(json, "headers." + HEADER);
    if (PARSED.size() >= MAX_PARSED) {
      PARSED.clear();
    }
    PARSED.put(value, door);
    return door;
  }

  /** Whether a request through this door may reach {@code address}. */
  public boolean permits(String address) {
    return AddressRule.anyPermits(rules, address);
  }

  /**
   * Refuses, with a 403 ({@link Failure#FORBIDDEN}) naming {@code field} and the address, a target this door does
   * not permit.
   */
  public void check(String field, String address) {
    if (!permits(address)) {
      throw StewardException.forbidden(field, "access denied: '" + address + "' is not a target that requests through "
        + name + " may reach (add it to " + setting + ")");
    }
  }

  /** Puts this door's header on {@code options}, replacing any there. */
  public DeliveryOptions stamp(DeliveryOptions options) {
    if (options.getHeaders() == null) {
      options.addHeader(HEADER, header);
    } else {
      options.getHeaders().set(HEADER, header);
    }
    return options;
  }

  /** {@link #stamp} when there is a door. */
  public static DeliveryOptions stamp(Door door, DeliveryOptions options) {
    return door == null ? options : door.stamp(options);
  }

  /** The header's value. */
  public String header() {
    return header;
  }

  /** The rule as kept with a job or a task: {@code {door, setting, permits}}. */
  public JsonObject toJson() {
    JsonArray permits = new JsonArray();
    for (AddressRule r : rules) {
      permits.add(r.address() != null ? r.address() : new JsonObject().put("addressRegex", r.regex().pattern()));
    }
    return new JsonObject().put("door", name).put("setting", setting).put("permits", permits);
  }

  @Override
  public boolean equals(Object o) {
    return o instanceof Door d && d.header.equals(header);
  }

  @Override
  public int hashCode() {
    return header.hashCode();
  }

  @Override
  public String toString() {
    return header;
  }
}
