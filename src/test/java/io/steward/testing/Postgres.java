package io.steward.testing;

import org.junit.jupiter.api.Assertions;
import org.junit.jupiter.api.Assumptions;

import java.net.URI;
import java.sql.Connection;
import java.sql.DriverManager;
import java.sql.SQLException;
import java.sql.Statement;
import java.util.UUID;

/**
 * The PostgreSQL server the store tests use: {@code .ci/run} starts one (Debian's postgresql, loopback, a
 * throwaway data directory) and passes its JDBC URL, with a superuser, in {@code TEST_POSTGRES_URL} (or
 * the system property {@code test.postgres.url}). Each test class gets a database of its own.
 *
 * <p>In CI ({@code CI=true}) a missing or unreachable server fails the test; locally, a test is skipped only
 * when no server is configured.
 */
public final class Postgres {

  public static final String ENV = "TEST_POSTGRES_URL";
  public static final String PROPERTY = "test.postgres.url";

  private Postgres() {
  }

  /** The admin JDBC URL (e.g. {@code jdbc:postgresql://127.0.0.1:54321/postgres?user=postgres}); skips or fails without one. */
  public static String adminUrl() {
    String url = System.getProperty(PROPERTY, System.getenv(ENV));
    boolean ci = "true".equalsIgnoreCase(System.getenv("CI"));
    if (url == null || url.isBlank()) {
      if (ci) {
        Assertions.fail("No PostgreSQL server for the store tests: " + ENV + " is not set. .ci/run starts one "
          + "(Debian's postgresql package) and sets it; see its output.");
      }
      Assumptions.abort("PostgreSQL store tests skipped: set " + ENV + " (e.g. jdbc:postgresql://127.0.0.1:5432/postgres"
        + "?user=postgres) or run .ci/run");
    }
    try (Connection c = DriverManager.getConnection(url)) {
      c.isValid(5);
    } catch (SQLException e) {
      Assertions.fail("The PostgreSQL server of the store tests is not reachable at " + url + " (" + ENV + "): "
        + e.getMessage() + ". Start it (.ci/run does) or unset " + ENV + " to skip these tests locally.");
    }
    return url;
  }

  /** Creates a database of its own and returns its JDBC URL (same server, user and parameters as the admin URL). */
  public static String createDatabase(String adminUrl) throws SQLException {
    String name = "steward_" + UUID.randomUUID().toString().replace("-", "").substring(0, 12);
    try (Connection c = DriverManager.getConnection(adminUrl); Statement s = c.createStatement()) {
      s.execute("CREATE DATABASE " + name);
    }
    return withDatabase(adminUrl, name);
  }

  /** The same URL pointing at another database. */
  public static String withDatabase(String url, String database) {
    URI u = URI.create(url.substring("jdbc:".length()));
    String query = u.getRawQuery() == null ? "" : "?" + u.getRawQuery();
    return "jdbc:postgresql://" + u.getHost() + ":" + u.getPort() + "/" + database + query;
  }

  /** The same URL through another port on the same host (a proxy in front of the server). */
  public static String viaPort(String url, int port) {
    URI u = URI.create(url.substring("jdbc:".length()));
    String query = u.getRawQuery() == null ? "" : "?" + u.getRawQuery();
    return "jdbc:postgresql://" + u.getHost() + ":" + port + u.getRawPath() + query;
  }

  public static String host(String url) {
    return URI.create(url.substring("jdbc:".length())).getHost();
  }

  public static int port(String url) {
    return URI.create(url.substring("jdbc:".length())).getPort();
  }

  /** Drops a database made by {@link #createDatabase} (its connections are closed first). */
  public static void dropDatabase(String adminUrl, String url) {
    String path = URI.create(url.substring("jdbc:".length())).getPath();
    String name = path.substring(1);
    try (Connection c = DriverManager.getConnection(adminUrl); Statement s = c.createStatement()) {
      s.execute("DROP DATABASE IF EXISTS " + name + " WITH (FORCE)");
    } catch (SQLException e) {
      // a leftover database in a throwaway server
    }
  }
}
