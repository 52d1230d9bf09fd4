package io.steward.spi;

/**
 * A configuration key or value Steward cannot start with. The message names the key (as written in the
 * file, or the environment variable / system property) and what is wrong with it.
 */
public final class ConfigException extends RuntimeException {

  private final String key;

  public ConfigException(String key, String reason) {
    super("Configuration error: " + key + ": " + reason, null, false, false);
    this.key = key;
  }

  public String key() {
    return key;
  }
}
