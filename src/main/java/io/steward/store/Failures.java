package io.steward.store;

import java.sql.SQLException;

/** Which database failures are about the data (never worth retrying) and which about the database (retry later). */
final class Failures {

  private Failures() {
  }

  /**
   * True when the database refused the data itself: SQLSTATE class 22 (data exception: a value too long, a
   * character it cannot store) or 23 (integrity constraint). Everything else — connection lost, timeouts, the
   * server shutting down, a missing table — is a problem of the database, and the write is retried.
   */
  static boolean isDataError(SQLException e) {
    for (Throwable t = e; t != null; t = t.getCause()) {
      if (t instanceof SQLException s) {
        String state = s.getSQLState();
        if (state != null && (state.startsWith("22") || state.startsWith("23"))) {
          return true;
        }
      }
    }
    return false;
  }

  /**
   * True when the database gave up because of another transaction on the same rows: a deadlock or serialization
   * failure (SQLSTATE class 40), a lock not available (55P03), or H2's lock timeout (HYT00 with error code 50200).
   * Worth trying again at once; not a sign that the database is down.
   */
  static boolean isContention(SQLException e) {
    for (Throwable t = e; t != null; t = t.getCause()) {
      if (t instanceof SQLException s) {
        String state = s.getSQLState();
        if (state != null && (state.startsWith("40") || state.equals("55P03")
          || (state.equals("HYT00") && s.getErrorCode() == 50200))) {
          return true;
        }
      }
    }
    return false;
  }

  /** A one-line description for logs and health: the message, and the SQLSTATE when there is one. */
  static String describe(Throwable e) {
    StringBuilder sb = new StringBuilder();
    Throwable t = e;
    while (t.getCause() != null && t.getMessage() == null) {
      t = t.getCause();
    }
    sb.append(t.getMessage() == null ? t.getClass().getSimpleName() : t.getMessage().strip());
    if (t instanceof SQLException s && s.getSQLState() != null) {
      sb.append(" (SQLSTATE ").append(s.getSQLState()).append(')');
    }
    String out = sb.toString().replace('\n', ' ');
    return out.length() > 300 ? out.substring(0, 300) + "…" : out;
  }
}
