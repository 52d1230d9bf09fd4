package io.steward.node;

import com.fasterxml.jackson.core.JsonFactory;
import io.vertx.core.json.jackson.DatabindCodec;

/**
 * Jackson, as Vert.x uses it to decode every JSON body (event bus, HTTP, bridges), interns each field name it
 * has not seen ({@code String.intern}) by default. A client that sends objects with many new field names then
 * makes each decode several times slower (measured here: a 650 KB object of 40 000 new names, 850 ms instead of
 * 110 ms), on the event loop that decodes it. Steward needs no interned names: interning is turned off, once per
 * JVM, before a node starts. Field names are still canonicalized (Jackson's bounded symbol table).
 */
final class JsonDecoding {

  private static volatile boolean done;

  private JsonDecoding() {
  }

  static synchronized void harden() {
    if (!done) {
      DatabindCodec.mapper().getFactory().disable(JsonFactory.Feature.INTERN_FIELD_NAMES);
      done = true;
    }
  }
}
