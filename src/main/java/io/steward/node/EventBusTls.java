package io.steward.node;

import io.steward.spi.ConfigException;
import io.steward.edge.KeyStores;
import io.vertx.core.eventbus.EventBusOptions;
import io.vertx.core.http.ClientAuth;
import io.vertx.core.json.JsonObject;

/**
 * Mutual TLS on the clustered event bus ({@code eventBus.tls}): connections between nodes' event buses are
 * encrypted, and a node accepts a connection only from a peer whose certificate its trust store holds
 * (the cluster's CA, or each node's certificate). Host names are not checked (Vert.x does not for the
 * event bus), so the trust store is what decides: keep it to the cluster's own CA or certificates.
 *
 * <p>This protects the messages between nodes. It does not protect Hazelcast's own traffic (cluster
 * membership and the data of the maps), which open-source Hazelcast cannot encrypt: see docs/security.md.
 */
record EventBusTls(String keyStore, String keyStorePassword, String trustStore, String trustStorePassword) {

  /** The TLS settings of the {@code eventBus} section, or null when {@code eventBus.tls} is false. */
  static EventBusTls from(JsonObject eb) {
    if (!eb.getBoolean("tls")) {
      return null;
    }
    EventBusTls tls = new EventBusTls(eb.getString("keyStore"), eb.getString("keyStorePassword"),
      eb.getString("trustStore"), eb.getString("trustStorePassword"));
    for (String key : new String[] {"keyStore", "trustStore"}) {
      if (eb.getString(key) == null) {
        throw new ConfigException("eventBus." + key, "required when eventBus.tls is true");
      }
    }
    KeyStores.check(tls.keyStore, tls.keyStorePassword, "eventBus.keyStore", true, ConfigException::new);
    KeyStores.check(tls.trustStore, tls.trustStorePassword, "eventBus.trustStore", false, ConfigException::new);
    return tls;
  }

  /** Turns on TLS, requiring a trusted certificate from every peer. */
  public void applyTo(EventBusOptions options) {
    options.setSsl(true).setClientAuth(ClientAuth.REQUIRED)
      .setKeyCertOptions(KeyStores.options(keyStore, keyStorePassword))
      .setTrustOptions(KeyStores.options(trustStore, trustStorePassword));
  }

  @Override
  public String toString() {
    return "EventBusTls[keyStore=" + keyStore + ", trustStore=" + trustStore + "]";
  }
}
