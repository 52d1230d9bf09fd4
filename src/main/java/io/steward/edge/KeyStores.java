package io.steward.edge;

import io.vertx.core.net.JksOptions;
import io.vertx.core.net.KeyStoreOptionsBase;
import io.vertx.core.net.PfxOptions;

import java.io.InputStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.KeyStore;
import java.util.Collections;
import java.util.Locale;
import java.util.function.BiFunction;

/**
 * Key and trust stores for TLS (the event bus, HTTP, the TCP bridge): PKCS#12 ({@code .p12}, {@code .pfx})
 * unless the file is named {@code *.jks}. Opened once at start-up, so a wrong path or password stops the
 * node with a message naming the setting instead of failing the first connection.
 */
public final class KeyStores {

  private KeyStores() {
  }

  /** Vert.x options for the store (usable as key/certificate or as trust options). */
  public static KeyStoreOptionsBase options(String path, String password) {
    return type(path).equals("JKS") ? new JksOptions().setPath(path).setPassword(password)
      : new PfxOptions().setPath(path).setPassword(password);
  }

  /**
   * Opens the store and checks it holds a private key ({@code needKey}) or at least one certificate;
   * a problem is thrown as {@code error.apply(key, reason)}.
   */
  public static void check(String path, String password, String key, boolean needKey,
                           BiFunction<String, String, ? extends RuntimeException> error) {
    if (path == null || path.isBlank()) {
      throw error.apply(key, "must name a key store file");
    }
    Path file = Path.of(path);
    if (!Files.isRegularFile(file)) {
      throw error.apply(key, "file not found: " + file.toAbsolutePath());
    }
    int count = 0;
    try (InputStream in = Files.newInputStream(file)) {
      KeyStore store = KeyStore.getInstance(type(path));
      store.load(in, password == null ? null : password.toCharArray());
      for (String alias : Collections.list(store.aliases())) {
        if (needKey ? store.isKeyEntry(alias) : store.getCertificate(alias) != null) {
          count++;
        }
      }
    } catch (Exception e) {
      throw error.apply(key, "cannot open " + file.toAbsolutePath() + " as " + type(path) + ": " + e.getMessage()
        + " (check the file and " + key + "Password)");
    }
    if (count == 0) {
      throw error.apply(key, file.toAbsolutePath() + (needKey ? " holds no private key: it needs a key and its certificate"
        : " holds no certificate to trust"));
    }
  }

  private static String type(String path) {
    return path.toLowerCase(Locale.ROOT).endsWith(".jks") ? "JKS" : "PKCS12";
  }
}
