package io.steward.campaign;

import io.steward.bus.Failure;
import io.vertx.core.json.JsonObject;

import java.util.ArrayList;
import java.util.List;

/**
 * Every answer a documented code (README, "Failure codes": "the same codes on the bus and over HTTP"). Anomaly: an
 * operation's completion whose {@code code} is neither one of {@link Failure}'s codes, nor 0 (no answer), nor a
 * 2xx (an HTTP success); and an {@code ok} answered with a code outside 2xx.
 */
final class DocumentedCodes implements Checker {

  @Override
  public String name() {
    return "documented-codes";
  }

  @Override
  public List<Anomaly> check(History history) {
    List<Anomaly> out = new ArrayList<>();
    for (Op op : Op.all(history)) {
      JsonObject done = op.completion();
      if (done == null || done.getValue("code") == null) {
        continue;
      }
      int code = done.getInteger("code");
      boolean success = code >= 200 && code < 300;
      if (op.status() == Op.Status.OK ? !success : !(code == 0 || success || documented(code))) {
        out.add(new Anomaly(name(), op.kind() + " answered " + code + ", which is not a documented code"
            + (done.getString("message") == null ? "" : " (" + done.getString("message") + ")"), op.evidence()));
      }
    }
    return out;
  }

  static boolean documented(int code) {
    for (Failure f : Failure.values()) {
      if (f.code() == code) {
        return true;
      }
    }
    return false;
  }
}
