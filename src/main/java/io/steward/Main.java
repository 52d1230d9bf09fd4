package io.steward;

import io.steward.spi.ConfigException;
import io.steward.node.NodeConfig;
import io.steward.node.StewardNode;
import io.steward.spi.Version;
import io.vertx.core.Vertx;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicReference;

/**
 * {@code java -jar steward.jar [-conf FILE]}: starts one node and runs until SIGTERM or SIGINT.
 *
 * <p>Exit codes: 0 stopped cleanly on a signal; 1 could not start (cluster, port, module) or did not stop
 * cleanly; 2 configuration error.
 */
public final class Main {

  public static final int EXIT_OK = 0;
  public static final int EXIT_FAILED = 1;
  public static final int EXIT_CONFIG = 2;

  private static final long LEAVE_MARGIN_MS = 60_000;
  private static final long START_MS = 5 * 60_000;
  private static final String FJ_PARALLELISM = "java.util.concurrent.ForkJoinPool.common.parallelism";

  private Main() {
  }

  public static void main(String[] args) {
    // Before anything touches the common pool: with parallelism 1 (2 cores) Hazelcast runs every async
    // callback on a new thread.
    if (System.getProperty(FJ_PARALLELISM) == null) {
      System.setProperty(FJ_PARALLELISM, Integer.toString(Math.max(4, Runtime.getRuntime().availableProcessors())));
    }
    // Hazelcast reads this before it reads cluster.xml; without it the XML loader logs through JUL.
    if (System.getProperty("hazelcast.logging.type") == null) {
      System.setProperty("hazelcast.logging.type", "slf4j");
    }
    String confFile = null;
    for (int i = 0; i < args.length; i++) {
      switch (args[i]) {
        case "-conf", "--conf" -> {
          if (i + 1 >= args.length) {
            exit(EXIT_CONFIG, "steward: -conf needs a file name");
          }
          confFile = args[++i];
        }
        case "-h", "--help" -> {
          System.out.println("usage: java -jar steward.jar [-conf FILE]\n"
            + "Configuration: FILE (default conf/config.json, optional), then STEWARD_* environment variables,\n"
            + "then steward.* system properties. See docs/configuration.md for every key.");
          System.exit(EXIT_OK);
        }
        case "--version" -> {
          System.out.println("steward " + Version.current());
          System.exit(EXIT_OK);
        }
        default -> exit(EXIT_CONFIG, "steward: unknown argument '" + args[i] + "' (usage: java -jar steward.jar [-conf FILE])");
      }
    }
    Logger log = LoggerFactory.getLogger(Main.class);
    NodeConfig config = loadConfig(confFile);
    // Installed before start-up, so a SIGTERM that arrives while the node is joining still stops it cleanly.
    CountDownLatch signalled = new CountDownLatch(1);
    AtomicReference<String> signal = new AtomicReference<>();
    sun.misc.SignalHandler handler = sig -> {
      if (!signal.compareAndSet(null, sig.getName())) {
        log.warn("Second SIG{} while stopping: exiting now without waiting for the drain", sig.getName());
        Runtime.getRuntime().halt(EXIT_FAILED);
      }
      signalled.countDown();
    };
    sun.misc.Signal.handle(new sun.misc.Signal("TERM"), handler);
    sun.misc.Signal.handle(new sun.misc.Signal("INT"), handler);

    StewardNode node;
    try {
      // The join may be retried for cluster.joinRetryMs on top (a cluster that refuses new members for a while).
      node = StewardNode.start(config).await(START_MS + config.cluster().joinRetryMs(), TimeUnit.MILLISECONDS);
    } catch (ConfigException e) {
      exit(EXIT_CONFIG, "steward: " + e.getMessage());
      return;
    } catch (Throwable e) {
      log.error("Steward could not start: {}", e instanceof java.util.concurrent.TimeoutException
        ? "no cluster and modules within " + (START_MS + config.cluster().joinRetryMs()) / 1000 + " s (5 minutes plus "
          + "cluster.joinRetryMs)" : e.getMessage());
      System.exit(EXIT_FAILED);
      return;
    }
    try {
      signalled.await();
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
    }
    log.info("SIG{} received: draining modules for up to {} ms, then leaving the cluster", signal.get(), config.drainMs());
    watchdog(config.drainMs() + LEAVE_MARGIN_MS, log);
    int code = EXIT_OK;
    try {
      node.stop(config.drainMs()).await();
      log.info("Stopped cleanly");
    } catch (Throwable e) {
      log.warn("Stopped, but not cleanly: {}", e.getMessage());
      code = EXIT_FAILED;
    }
    System.exit(code);
  }

  private static NodeConfig loadConfig(String confFile) {
    Vertx bootstrap = Vertx.vertx();
    try {
      return StewardNode.configLoader().load(bootstrap, confFile).await(1, TimeUnit.MINUTES);
    } catch (ConfigException e) {
      exit(EXIT_CONFIG, "steward: " + e.getMessage());
    } catch (Throwable e) {
      exit(EXIT_CONFIG, "steward: cannot read the configuration: " + e);
    } finally {
      bootstrap.close();
    }
    return null;
  }

  /** Leaving the cluster can hang on a dead network: never wait more than a minute past the drain. */
  private static void watchdog(long ms, Logger log) {
    Thread t = new Thread(() -> {
      try {
        Thread.sleep(ms);
      } catch (InterruptedException e) {
        return;
      }
      log.error("Shutdown did not finish within {} ms (drain plus {} ms to leave the cluster); halting. Members "
        + "will notice this node is gone through failure detection.", ms, LEAVE_MARGIN_MS);
      Runtime.getRuntime().halt(EXIT_FAILED);
    }, "steward-shutdown-watchdog");
    t.setDaemon(true);
    t.start();
  }

  private static void exit(int code, String message) {
    System.err.println(message);
    System.exit(code);
  }
}
