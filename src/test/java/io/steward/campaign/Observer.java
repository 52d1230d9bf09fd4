package io.steward.campaign;

import io.steward.testing.FramedClient;
import io.vertx.core.json.JsonObject;

import java.io.IOException;
import java.net.SocketTimeoutException;
import java.util.HashMap;
import java.util.Map;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.ThreadLocalRandom;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;

/**
 * The observer outside the cluster: one TCP bridge connection per node, registered for the jobs' address (fires),
 * the {@code bus} tasks' address (effects: answered after a short random delay, so attempts are mid-flight when a
 * fault strikes) and the computes' address (a getOrCompute's body: answered with a value naming the run). What
 * arrives is recorded in the history. A node that restarts gets a new connection ({@link #connect}).
 */
final class Observer implements AutoCloseable {

  static final String FIRES = "campaign.fires";
  static final String EFFECTS = "campaign.effects";
  static final String COMPUTE = "campaign.compute";

  private static final String TASK_ID = "steward-task-id";
  private static final String ATTEMPT = "steward-task-attempt";
  private static final String JOB = "steward-schedule-job";
  private static final String TICK = "steward-schedule-tick";
  private static final String NODE = "steward-schedule-node";

  private final Recorder history;
  private final Map<Integer, FramedClient> clients = new HashMap<>();
  private final AtomicInteger connections = new AtomicInteger();
  private final AtomicInteger runs = new AtomicInteger();
  private final ScheduledExecutorService replies = Executors.newScheduledThreadPool(2, r -> {
    Thread t = new Thread(r, "campaign-replies");
    t.setDaemon(true);
    return t;
  });
  private volatile boolean closed;

  Observer(Recorder history) {
    this.history = history;
  }

  /** (Re)connects to node {@code index}'s bridge at {@code host:port} and registers for the three addresses. */
  synchronized void connect(int index, String host, int port) throws IOException {
    FramedClient old = clients.remove(index);
    if (old != null) {
      old.close();
    }
    FramedClient c = new FramedClient("tcp://" + host + ":" + port);
    for (String address : new String[] {FIRES, EFFECTS, COMPUTE}) {
      c.send(FramedClient.frame("register", address, null));
    }
    clients.put(index, c);
    int connection = connections.incrementAndGet();
    Thread t = new Thread(() -> read(index, connection, c), "campaign-bridge-" + Plan.name(index) + "-" + connection);
    t.setDaemon(true);
    t.start();
  }

  private void read(int index, int connection, FramedClient c) {
    while (!closed) {
      JsonObject frame;
      try {
        frame = c.read();
      } catch (SocketTimeoutException e) {
        continue; // a paused or cut-off node says nothing for a while
      } catch (IOException e) {
        return; // the node died, or a newer connection replaced this one
      } catch (RuntimeException e) {
        continue;
      }
      if (!"message".equals(frame.getString("type"))) {
        continue;
      }
      String address = frame.getString("address");
      JsonObject headers = frame.getJsonObject("headers", new JsonObject());
      if (FIRES.equals(address) && headers.getString(TICK) != null) {
        history.record("fire", new JsonObject().put("job", headers.getString(JOB)).put("tick", Long.parseLong(headers.getString(TICK)))
          .put("node", headers.getString(NODE)).put("connection", connection));
      } else if (EFFECTS.equals(address)) {
        effect(index, c, frame, headers);
      } else if (COMPUTE.equals(address)) {
        compute(index, c, frame);
      }
    }
  }

  private void effect(int index, FramedClient c, JsonObject frame, JsonObject headers) {
    JsonObject body = frame.getValue("body") instanceof JsonObject b ? b : new JsonObject();
    String taskId = headers.getString(TASK_ID);
    int attempt = Integer.parseInt(headers.getString(ATTEMPT, "0"));
    JsonObject who = new JsonObject().put("marker", body.getString("marker")).put("taskId", taskId)
      .put("node", Plan.name(index)).put("attempt", attempt);
    if (body.getString("key") != null) {
      who.put("key", body.getString("key"));
    }
    history.record("task.start", who);
    history.record("task.effect", new JsonObject().put("marker", body.getString("marker")).put("taskId", taskId)
      .put("attempt", attempt).put("node", Plan.name(index)).put("possibleDuplicate", false)); // the observer cannot tell: task.final carries the report
    String replyAddress = frame.getString("replyAddress");
    replies.schedule(() -> {
      history.record("task.end", who);
      reply(c, replyAddress, new JsonObject().put("ok", true));
    }, ThreadLocalRandom.current().nextLong(300), TimeUnit.MILLISECONDS);
  }

  private void compute(int index, FramedClient c, JsonObject frame) {
    JsonObject body = frame.getValue("body") instanceof JsonObject b ? b : new JsonObject();
    String run = "run-" + runs.incrementAndGet();
    history.record("cache.compute.run", new JsonObject().put("cache", body.getString("cache")).put("key", body.getString("key"))
      .put("node", Plan.name(index)).put("run", run));
    String replyAddress = frame.getString("replyAddress");
    replies.schedule(() -> reply(c, replyAddress, run), 100 + ThreadLocalRandom.current().nextLong(400), TimeUnit.MILLISECONDS);
  }

  private static void reply(FramedClient c, String replyAddress, Object body) {
    if (replyAddress == null) {
      return;
    }
    try {
      synchronized (c) {
        c.send(new JsonObject().put("type", "send").put("address", replyAddress).put("body", body));
      }
    } catch (IOException e) {
      // the node died meanwhile: its caller gets a timeout, as with any reply lost
    }
  }

  @Override
  public synchronized void close() {
    closed = true;
    replies.shutdownNow();
    for (FramedClient c : clients.values()) {
      try {
        c.close();
      } catch (IOException ignored) {
        // closing anyway
      }
    }
    clients.clear();
  }
}
