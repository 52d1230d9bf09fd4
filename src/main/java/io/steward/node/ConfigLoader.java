package io.steward.node;

import io.steward.spi.StewardModule;
import io.steward.spi.Setting;
import io.steward.spi.ConfigException;
import io.vertx.config.ConfigRetriever;
import io.vertx.config.ConfigRetrieverOptions;
import io.vertx.config.ConfigStoreOptions;
import io.vertx.core.Future;
import io.vertx.core.Vertx;
import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Collection;
import java.util.LinkedHashMap;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeMap;
import java.util.stream.Collectors;

/**
 * Reads the configuration with vertx-config, in this order, later layers winning: the JSON file
 * ({@code conf/config.json}, or {@code -conf FILE}), environment variables ({@code STEWARD_*}), system
 * properties ({@code steward.*}). Every key must be known: an unknown key, variable or property, or a
 * value of the wrong type, is a {@link ConfigException} that names it.
 */
public final class ConfigLoader {

  static final String DEFAULT_FILE = "conf/config.json";
  static final String ENV_PREFIX = "STEWARD_";
  static final String SYS_PREFIX = "steward.";

  private final List<Setting> settings;
  private final Map<String, Setting> byPath = new LinkedHashMap<>();
  private final Map<String, Setting> byEnv = new LinkedHashMap<>();
  private final Map<String, Setting> bySys = new LinkedHashMap<>();
  private final Map<String, StewardModule> modules;

  ConfigLoader(Collection<StewardModule> modules) {
    this.modules = new LinkedHashMap<>();
    List<Setting> all = new ArrayList<>(NodeConfig.SETTINGS);
    for (StewardModule m : modules) {
      this.modules.put(m.name(), m);
      all.addAll(m.settings());
    }
    this.settings = List.copyOf(all);
    for (Setting s : settings) {
      byPath.put(s.path(), s);
      byEnv.put(s.env(), s);
      bySys.put(s.sysProp(), s);
    }
  }

  /** Every setting, node-level first, for documentation. */
  public List<Setting> settings() {
    return settings;
  }

  /**
   * Reads the file (required when {@code explicitFile} is set, optional at {@link #DEFAULT_FILE}), the
   * environment and the system properties through vertx-config, then {@link #resolve}s them.
   */
  public Future<NodeConfig> load(Vertx vertx, String explicitFile) {
    String file = explicitFile != null ? explicitFile : DEFAULT_FILE;
    if (explicitFile != null && !Files.isRegularFile(Path.of(explicitFile))) {
      return Future.failedFuture(new ConfigException("-conf", "file not found: " + Path.of(explicitFile).toAbsolutePath()));
    }
    Future<JsonObject> fileJson = Files.isRegularFile(Path.of(file))
      ? read(vertx, new ConfigStoreOptions().setType("file").setFormat("json").setConfig(new JsonObject().put("path", file)))
        .recover(err -> Future.failedFuture(new ConfigException(file, "not valid JSON: " + rootMessage(err))))
      : Future.succeededFuture(new JsonObject());
    Future<JsonObject> env = read(vertx, new ConfigStoreOptions().setType("env").setConfig(new JsonObject().put("raw-data", true)));
    Future<JsonObject> sys = read(vertx, new ConfigStoreOptions().setType("sys")
      .setConfig(new JsonObject().put("raw-data", true).put("hierarchical", false).put("cache", false)));
    return Future.all(fileJson, env, sys).map(all -> resolve(fileJson.result(), strings(env.result()), strings(sys.result())));
  }

  private static Future<JsonObject> read(Vertx vertx, ConfigStoreOptions store) {
    ConfigRetriever retriever = ConfigRetriever.create(vertx,
      new ConfigRetrieverOptions().setIncludeDefaultStores(false).addStore(store).setScanPeriod(0));
    return retriever.getConfig().eventually(retriever::close);
  }

  private static Map<String, String> strings(JsonObject json) {
    Map<String, String> out = new TreeMap<>();
    json.forEach(e -> out.put(e.getKey(), String.valueOf(e.getValue())));
    return out;
  }

  private static String rootMessage(Throwable t) {
    Throwable c = t;
    while (c.getCause() != null) {
      c = c.getCause();
    }
    String m = c.getMessage() == null ? c.getClass().getSimpleName() : c.getMessage();
    int nl = m.indexOf('\n');
    return nl < 0 ? m : m.substring(0, nl);
  }

  /**
   * The pure part: checks the file's keys and types, applies environment variables then system
   * properties, fills in defaults, and parses the node configuration and every module's section.
   */
  public NodeConfig resolve(JsonObject file, Map<String, String> env, Map<String, String> sys) {
    JsonObject merged = new JsonObject();
    checkFile(file, merged);
    applyOverrides(env, ENV_PREFIX, byEnv, "environment variable", merged);
    applyOverrides(sys, SYS_PREFIX, bySys, "system property", merged);
    for (Setting s : settings) {
      JsonObject parent = parentOf(merged, s);
      String key = leaf(s);
      if (!parent.containsKey(key) && s.defaultValue() != null) {
        Object def = s.defaultValue();
        parent.put(key, def instanceof JsonArray a ? a.copy() : def instanceof JsonObject o ? o.copy() : def);
      }
    }
    NodeConfig node = NodeConfig.from(merged, modules.keySet());
    for (StewardModule m : modules.values()) {
      JsonObject section = merged.getJsonObject(m.name());
      m.validate(section == null ? new JsonObject() : section.copy());
    }
    return node;
  }

  private void checkFile(JsonObject file, JsonObject merged) {
    Set<String> sections = settings.stream().map(Setting::section).collect(Collectors.toCollection(LinkedHashSet::new));
    for (Map.Entry<String, Object> e : file) {
      String top = e.getKey();
      Setting direct = byPath.get(top);
      if (direct != null) {
        merged.put(top, direct.check(e.getValue(), top));
        continue;
      }
      if (!sections.contains(top)) {
        throw new ConfigException(top, "unknown key (known top-level keys: " + String.join(", ", sections) + ")");
      }
      if (!(e.getValue() instanceof JsonObject section)) {
        throw new ConfigException(top, "must be a JSON object");
      }
      JsonObject target = new JsonObject();
      merged.put(top, target);
      for (Map.Entry<String, Object> k : section) {
        String path = top + "." + k.getKey();
        Setting s = byPath.get(path);
        if (s == null) {
          List<String> known = settings.stream().filter(x -> x.section().equals(top) && x.key() != null).map(Setting::key).toList();
          throw new ConfigException(path, "unknown key (known in '" + top + "': " + String.join(", ", known) + ")");
        }
        if (k.getValue() != null) {
          target.put(k.getKey(), s.check(k.getValue(), path));
        }
      }
    }
  }

  private void applyOverrides(Map<String, String> values, String prefix, Map<String, Setting> index, String what,
                              JsonObject merged) {
    for (Map.Entry<String, String> e : values.entrySet()) {
      if (!e.getKey().startsWith(prefix)) {
        continue;
      }
      Setting s = index.get(e.getKey());
      if (s == null) {
        throw new ConfigException(e.getKey(), "unknown " + what + " (" + suggestion(e.getKey(), index.keySet()) + ")");
      }
      parentOf(merged, s).put(leaf(s), s.parse(e.getValue(), e.getKey()));
    }
  }

  private static String suggestion(String name, Set<String> known) {
    String best = null;
    int bestDistance = Integer.MAX_VALUE;
    for (String k : known) {
      int d = distance(name, k);
      if (d < bestDistance) {
        bestDistance = d;
        best = k;
      }
    }
    return bestDistance <= 3 ? "did you mean " + best + "?" : "see docs/configuration.md for every key";
  }

  private static int distance(String a, String b) {
    int[] prev = new int[b.length() + 1];
    int[] cur = new int[b.length() + 1];
    for (int j = 0; j <= b.length(); j++) {
      prev[j] = j;
    }
    for (int i = 1; i <= a.length(); i++) {
      cur[0] = i;
      for (int j = 1; j <= b.length(); j++) {
        int cost = a.charAt(i - 1) == b.charAt(j - 1) ? 0 : 1;
        cur[j] = Math.min(Math.min(cur[j - 1] + 1, prev[j] + 1), prev[j - 1] + cost);
      }
      int[] t = prev;
      prev = cur;
      cur = t;
    }
    return prev[b.length()];
  }

  private static JsonObject parentOf(JsonObject merged, Setting s) {
    if (s.key() == null) {
      return merged;
    }
    JsonObject section = merged.getJsonObject(s.section());
    if (section == null) {
      section = new JsonObject();
      merged.put(s.section(), section);
    }
    return section;
  }

  private static String leaf(Setting s) {
    return s.key() == null ? s.path() : s.key();
  }
}
