package io.steward.bench;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * Runs {@code wrk} (Debian: {@code apt-get install -y wrk}), an HTTP load generator, on loopback for a fixed
 * time and reads its figures: requests per second and the latency percentiles of {@code --latency}.
 */
final class Wrk {

  private static final Pattern RATE = Pattern.compile("Requests/sec:\\s+([0-9.]+)");
  private static final Pattern PERCENTILE = Pattern.compile("^\\s+(50|99)%\\s+([0-9.]+)(us|ms|s)\\s*$", Pattern.MULTILINE);
  private static final Pattern NON_2XX = Pattern.compile("Non-2xx or 3xx responses:\\s+(\\d+)");
  private static final Pattern ERRORS = Pattern.compile("Socket errors:(.*)");

  /** What one run measured; latencies in microseconds. */
  record Result(double perSecond, double p50Micros, double p99Micros, long non2xx, String socketErrors, String output) {
    String line(String what) {
      return String.format("  %-50s %8.0f req/s   p50 %6.0f us   p99 %6.0f us%s", what, perSecond, p50Micros, p99Micros,
        (non2xx > 0 ? "   (" + non2xx + " non-2xx)" : "") + (socketErrors != null ? "   (socket errors:" + socketErrors + ")" : ""));
    }
  }

  private Wrk() {
  }

  static boolean available() {
    try {
      Process p = new ProcessBuilder("wrk", "--version").redirectErrorStream(true).start();
      p.getInputStream().readAllBytes();
      p.waitFor(10, TimeUnit.SECONDS);
      return true;
    } catch (IOException e) {
      return false;
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      return false;
    }
  }

  /** {@code wrk -t threads -c connections -d seconds --latency -s script url}; the script is Lua text. */
  static Result run(String url, String lua, int threads, int connections, int seconds) throws IOException, InterruptedException {
    Path script = Files.createTempFile("steward-wrk", ".lua");
    try {
      Files.writeString(script, lua);
      List<String> command = new ArrayList<>(List.of("wrk", "-t" + threads, "-c" + connections, "-d" + seconds + "s",
        "--timeout", "10s", "--latency", "-s", script.toString(), url));
      Process p = new ProcessBuilder(command).redirectErrorStream(true).start();
      String out = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
      if (!p.waitFor(seconds + 30L, TimeUnit.SECONDS)) {
        p.destroyForcibly();
        throw new IOException("wrk did not finish within " + (seconds + 30) + " s: " + out);
      }
      if (p.exitValue() != 0) {
        throw new IOException("wrk exited with " + p.exitValue() + ": " + out);
      }
      return parse(out);
    } finally {
      Files.deleteIfExists(script);
    }
  }

  static Result parse(String out) throws IOException {
    Matcher rate = RATE.matcher(out);
    if (!rate.find()) {
      throw new IOException("no Requests/sec in wrk's output: " + out);
    }
    double p50 = Double.NaN;
    double p99 = Double.NaN;
    Matcher m = PERCENTILE.matcher(out);
    while (m.find()) {
      double value = Double.parseDouble(m.group(2)) * switch (m.group(3)) {
        case "us" -> 1;
        case "ms" -> 1_000;
        default -> 1_000_000;
      };
      if (m.group(1).equals("50")) {
        p50 = value;
      } else {
        p99 = value;
      }
    }
    Matcher non2xx = NON_2XX.matcher(out);
    Matcher errors = ERRORS.matcher(out);
    return new Result(Double.parseDouble(rate.group(1)), p50, p99, non2xx.find() ? Long.parseLong(non2xx.group(1)) : 0,
      errors.find() ? errors.group(1).trim() : null, out);
  }
}
