package io.steward.node;

import ch.qos.logback.classic.Level;
import ch.qos.logback.classic.LoggerContext;
import org.slf4j.LoggerFactory;

/** Applies the {@code log.*} levels to Logback once the configuration is read. */
final class Logging {

  private Logging() {
  }

  static void apply(NodeConfig config) {
    if (!(LoggerFactory.getILoggerFactory() instanceof LoggerContext context)) {
      return; // an embedding application brought its own SLF4J backend: its configuration rules
    }
    Level level = Level.toLevel(config.logLevel(), Level.INFO);
    context.getLogger("io.steward").setLevel(level);
    context.getLogger("io.vertx").setLevel(level);
    context.getLogger("com.hazelcast").setLevel(Level.toLevel(config.hazelcastLogLevel(), Level.WARN));
  }
}
