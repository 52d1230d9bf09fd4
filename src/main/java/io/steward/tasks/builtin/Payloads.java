package io.steward.tasks.builtin;

import io.steward.bus.Fields;
import io.steward.bus.StewardException;
import io.vertx.core.json.JsonObject;

/** Reads a built-in type's payload, with 400s naming {@code payload.<field>}. */
final class Payloads {

  private Payloads() {
  }

  static Fields of(Object payload, boolean required) {
    if (payload == null) {
      if (required) {
        throw StewardException.badRequest("payload", "is required");
      }
      return Fields.nested(new JsonObject(), "payload");
    }
    if (!(payload instanceof JsonObject o)) {
      throw StewardException.badRequest("payload", "must be a JSON object, got " + Fields.typeName(payload));
    }
    return Fields.nested(o, "payload");
  }
}
