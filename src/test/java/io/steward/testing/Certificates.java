package io.steward.testing;

import java.io.IOException;
import java.io.InputStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.KeyStore;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;
import javax.net.ssl.SSLContext;
import javax.net.ssl.TrustManagerFactory;

/**
 * Self-signed certificates for TLS tests, made by the JDK's own keytool (valid two days, for 127.0.0.1 and
 * localhost): {@code <name>.p12} (key and certificate), {@code <name>-trust.p12} (the certificate alone, to
 * trust) and {@code <name>.pem} (the certificate as PEM, for Node.js).
 */
public final class Certificates {

  public static final String PASSWORD = "test-password";

  private final Path dir;
  private final String name;

  private Certificates(Path dir, String name) {
    this.dir = dir;
    this.name = name;
  }

  public static Certificates create(Path dir, String name) throws IOException, InterruptedException {
    Certificates c = new Certificates(dir, name);
    keytool("-genkeypair", "-alias", name, "-keyalg", "EC", "-groupname", "secp256r1", "-dname", "CN=" + name,
      "-ext", "SAN=ip:127.0.0.1,dns:localhost", "-validity", "2", "-storetype", "PKCS12",
      "-keystore", c.keyStore(), "-storepass", PASSWORD);
    keytool("-exportcert", "-rfc", "-alias", name, "-keystore", c.keyStore(), "-storepass", PASSWORD, "-file", c.pem());
    keytool("-importcert", "-noprompt", "-alias", name, "-file", c.pem(), "-storetype", "PKCS12",
      "-keystore", c.trustStore(), "-storepass", PASSWORD);
    return c;
  }

  public String keyStore() {
    return dir.resolve(name + ".p12").toString();
  }

  public String trustStore() {
    return dir.resolve(name + "-trust.p12").toString();
  }

  public String pem() {
    return dir.resolve(name + ".pem").toString();
  }

  /** A client context that trusts this certificate only. */
  public SSLContext clientContext() throws Exception {
    KeyStore trust = KeyStore.getInstance("PKCS12");
    try (InputStream in = Files.newInputStream(Path.of(trustStore()))) {
      trust.load(in, PASSWORD.toCharArray());
    }
    TrustManagerFactory tmf = TrustManagerFactory.getInstance(TrustManagerFactory.getDefaultAlgorithm());
    tmf.init(trust);
    SSLContext context = SSLContext.getInstance("TLS");
    context.init(null, tmf.getTrustManagers(), null);
    return context;
  }

  private static void keytool(String... args) throws IOException, InterruptedException {
    List<String> command = new ArrayList<>();
    command.add(Path.of(System.getProperty("java.home"), "bin", "keytool").toString());
    command.addAll(List.of(args));
    Process p = new ProcessBuilder(command).redirectErrorStream(true).start();
    String output = new String(p.getInputStream().readAllBytes());
    if (!p.waitFor(60, TimeUnit.SECONDS) || p.exitValue() != 0) {
      throw new IllegalStateException("keytool failed: " + command + ": " + output);
    }
  }
}
