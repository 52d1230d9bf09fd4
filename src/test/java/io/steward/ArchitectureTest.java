package io.steward;

import com.tngtech.archunit.base.DescribedPredicate;
import com.tngtech.archunit.core.domain.JavaClass;
import com.tngtech.archunit.core.domain.JavaClasses;
import com.tngtech.archunit.core.importer.ClassFileImporter;
import com.tngtech.archunit.core.importer.ImportOption;
import com.tngtech.archunit.core.domain.JavaModifier;
import com.tngtech.archunit.lang.ArchCondition;
import com.tngtech.archunit.lang.ArchRule;
import com.tngtech.archunit.lang.ConditionEvents;
import com.tngtech.archunit.lang.SimpleConditionEvent;
import com.tngtech.archunit.lang.EvaluationResult;
import com.tngtech.archunit.library.Architectures.LayeredArchitecture;
import org.junit.jupiter.api.Test;

import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.stream.Stream;

import static com.tngtech.archunit.lang.syntax.ArchRuleDefinition.classes;
import static com.tngtech.archunit.lang.syntax.ArchRuleDefinition.noClasses;
import static java.util.Map.entry;
import static com.tngtech.archunit.library.Architectures.layeredArchitecture;
import static com.tngtech.archunit.library.dependencies.SlicesRuleDefinition.slices;
import static org.assertj.core.api.Assertions.assertThat;

/**
 * The architecture the docs describe, as rules that fail the build. Each rule is written once, for a root
 * package: checked against Steward's classes ({@code io.steward}, main code only), and against the
 * deliberately bad classes of {@code io.steward.archfixture} (test code), to show that it catches what it is
 * for.
 *
 * <p>The rooms:
 * <ul>
 *   <li>{@code observe}: the metrics registry, the escaping of client text in log lines, rate-limited WARN lines.
 *       Uses nothing else of Steward; everything may use it.</li>
 *   <li>{@code bus}: the message contract (addresses, fields, failure codes, the door check). Uses only
 *       {@code observe}.</li>
 *   <li>{@code spi}: what a module may use besides the contract: the module interface, settings, the
 *       persistence seam, cluster facts, and the one adapter per library for its internals. Uses only
 *       {@code bus} and {@code observe}.</li>
 *   <li>{@code edge}: tokens, key stores and permissions of the two doors ({@code http} with its SockJS bridge,
 *       the TCP {@code bridge}); only the doors and the node use it.</li>
 *   <li>the modules ({@link #MODULES}): each uses {@code bus}, {@code spi} and {@code observe} (the doors also
 *       {@code edge}), never another module's classes: modules talk over the event bus.</li>
 *   <li>{@code node} (and {@code io.steward.Main}): starts a node and deploys the modules it finds; nothing
 *       imports it.</li>
 * </ul>
 *
 * <p>Each package shows only its surface ({@link #SURFACE}): what users and other packages need; the rest is
 * package-private.
 */
class ArchitectureTest {

  /** The modules: none imports another's classes (the durability {@code store} counts as one). */
  static final List<String> MODULES = List.of("tasks", "fanout", "schedule", "cache", "store", "http", "bridge", "workflows");
  /** The modules that are doors to the cluster, and may use {@code edge}. */
  static final List<String> DOORS = List.of("http", "bridge");
  /** The only classes that may use library internals: one adapter per library, in {@code spi}. */
  static final List<String> ADAPTERS = List.of("spi.VertxInternals", "spi.HazelcastInternals");
  /** Classes let through the internals rule by name while they move behind the adapters: none left. */
  static final List<String> PENDING = List.of();
  /** Library internals: no compatibility promise, an upgrade may change or remove any of them. */
  static final String[] INTERNALS = {"io.vertx..internal..", "io.vertx..impl..", "com.hazelcast..impl..",
    "com.hazelcast.internal.."};

  /**
   * The public classes of each package (nested ones as {@code Outer$Inner}), and nothing else: what users and
   * other packages need, or what a library instantiates by its name (the modules and task types listed in
   * {@code META-INF/services}, the merge policies named in Hazelcast's map config, the logback filters). A new
   * public class that only its own package uses fails {@link #each_package_shows_only_its_surface}: make it
   * package-private, or add it here with the reason it is needed outside. The Java client ({@link #OPEN}) is a
   * library whose public classes are all its API.
   */
  static final Map<String, List<String>> SURFACE = Map.ofEntries(
    entry("observe", List.of("LogText", "Metrics", "RateLimitedLog", "Tracing")),
    entry("bus", List.of("AddressRule", "Addresses", "Addresses$Cache", "Addresses$Fanout", "Addresses$Nodes",
      "Addresses$Schedule", "Addresses$Tasks", "Addresses$Workflows", "Door", "Endpoint", "Endpoint$Handler", "Failure", "Fields",
      "StewardException")),
    entry("spi", List.of("Cluster", "Cluster$Listening", "ConfigException", "HazelcastInternals", "LostPartitions",
      "LostPartitions$Use", "MissedBackups", "MissedBackups$Sent",
      "HazelcastInternals$Serialization", "LibraryLogs", "Persistence", "PersistentMap", "Setting", "Setting$Kind", "StewardModule",
      "PutIfAbsent", "Stalls", "StuckMigration", "Tombstone", "Version", "VertxInternals")),
    entry("edge", List.of("BridgeMeters", "BridgePermissions", "GuardedConnections", "KeyStores", "SockJsBridgeEvents",
      "TcpBridgeEvents", "Tokens")),
    entry("tasks", List.of("RecordsMergePolicy", "TaskContext", "TaskFailure", "TaskType", "TaskType$Body", "TaskTypes", "TasksModule")),
    entry("tasks.builtin", List.of("BusTask", "EchoTask", "FailTask", "SleepTask")),
    entry("fanout", List.of("FanoutModule")),
    entry("schedule", List.of("ScheduleModule", "JobsMergePolicy", "NewerWinsMergePolicy", "StateMergePolicy")),
    entry("cache", List.of("CacheModule", "VersionMergePolicy", "MajorityMergePolicy")),
    entry("store", List.of("Store", "StoreConfig", "StoreConfig$Kind")),
    entry("http", List.of("HttpModule")),
    entry("bridge", List.of("BridgeModule")),
    entry("workflows", List.of("WorkflowsModule")),
    entry("node", List.of("ConfigLoader", "NodeConfig", "NodeConfig$Cluster", "NodeConfig$EventBus", "StewardNode", "TracingConfig")));
  /** Packages whose public classes are all surface: the root ({@code Main}) and the Java client library. */
  static final List<String> OPEN = List.of("", "client");

  private static final JavaClasses STEWARD = new ClassFileImporter()
    .withImportOption(ImportOption.Predefined.DO_NOT_INCLUDE_TESTS).importPackages("io.steward");
  private static final String FIXTURE = "io.steward.archfixture";
  private static final JavaClasses BAD = new ClassFileImporter().importPackages(FIXTURE);

  static LayeredArchitecture modules(String root) {
    LayeredArchitecture rooms = layeredArchitecture().consideringOnlyDependenciesInLayers()
      .layer("node").definedBy(root, root + ".node..")
      .layer("observe").definedBy(root + ".observe..")
      .layer("bus").definedBy(root + ".bus..")
      .layer("spi").definedBy(root + ".spi..")
      .layer("edge").definedBy(root + ".edge..");
    for (String module : MODULES) {
      rooms = rooms.layer(module).definedBy(root + "." + module + "..");
    }
    rooms = rooms
      .whereLayer("node").mayNotBeAccessedByAnyLayer()
      .whereLayer("observe").mayNotAccessAnyLayer()
      .whereLayer("bus").mayOnlyAccessLayers("observe")
      .whereLayer("spi").mayOnlyAccessLayers("bus", "observe")
      .whereLayer("edge").mayOnlyAccessLayers("bus", "spi", "observe");
    for (String module : MODULES) {
      rooms = DOORS.contains(module)
        ? rooms.whereLayer(module).mayOnlyAccessLayers("bus", "spi", "observe", "edge")
        : rooms.whereLayer(module).mayOnlyAccessLayers("bus", "spi", "observe");
    }
    return rooms;
  }

  static ArchRule libraryInternals(String root) {
    DescribedPredicate<JavaClass> adapter = DescribedPredicate.describe("an adapter " + ADAPTERS + " (or " + PENDING
      + ", pending)", c -> Stream.concat(ADAPTERS.stream(), PENDING.stream()).map(a -> root + "." + a)
      .anyMatch(a -> c.getName().equals(a) || c.getName().startsWith(a + "$")));
    return noClasses().that().resideInAPackage(root + "..").and(DescribedPredicate.not(adapter))
      .should().dependOnClassesThat().resideInAnyPackage(INTERNALS)
      .because("an upgrade of Vert.x or Hazelcast may change their internals: each use sits in the library's "
        + "one adapter, with what public API is missing and what breaks");
  }

  static ArchRule packageCycles(String root) {
    return slices().matching(root + ".(*)..").should().beFreeOfCycles();
  }

  /** Public, and every class it is nested in too (a type nested in an interface is public without the word). */
  static boolean visibleOutside(JavaClass c) {
    for (JavaClass x = c; x != null; x = x.getEnclosingClass().orElse(null)) {
      boolean inInterface = x.getEnclosingClass().map(JavaClass::isInterface).orElse(false);
      if (!x.getModifiers().contains(JavaModifier.PUBLIC) && !inInterface) {
        return false;
      }
    }
    return !c.isAnonymousClass() && !c.isLocalClass();
  }

  static String packageOf(String root, JavaClass c) {
    return c.getPackageName().equals(root) ? "" : c.getPackageName().substring(root.length() + 1);
  }

  static String nameInPackage(JavaClass c) {
    return c.getName().substring(c.getPackageName().length() + 1);
  }

  static ArchRule publicSurface(String root) {
    DescribedPredicate<JavaClass> visible = DescribedPredicate.describe("are visible outside their package",
      ArchitectureTest::visibleOutside);
    ArchCondition<JavaClass> onSurface = new ArchCondition<>("be on their package's surface (ArchitectureTest.SURFACE)") {
      @Override
      public void check(JavaClass c, ConditionEvents events) {
        String pkg = packageOf(root, c);
        List<String> surface = SURFACE.get(pkg);
        if (!OPEN.contains(pkg) && (surface == null || !surface.contains(nameInPackage(c)))) {
          events.add(SimpleConditionEvent.violated(c, c.getName() + " is public but not on the surface of package '"
            + pkg + "': make it package-private, or, if users or other packages need it, add it to "
            + "ArchitectureTest.SURFACE"));
        }
      }
    };
    return classes().that().resideInAPackage(root + "..").and(visible).should(onSurface)
      .because("a package shows what users and other packages need, and keeps the rest package-private");
  }

  @Test
  void each_package_shows_only_its_surface() {
    publicSurface("io.steward").check(STEWARD);
  }

  @Test
  void every_class_on_the_surface_list_is_there_and_public() {
    List<String> stale = new ArrayList<>();
    SURFACE.forEach((pkg, names) -> names.forEach(name -> {
      String full = "io.steward." + pkg + "." + name;
      if (!STEWARD.contain(full) || !visibleOutside(STEWARD.get(full))) {
        stale.add(full);
      }
    }));
    assertThat(stale).as("classes on ArchitectureTest.SURFACE that are gone or no longer public").isEmpty();
  }

  @Test
  void the_surface_rule_catches_a_public_class_its_package_keeps_to_itself() {
    String report = violations(publicSurface(FIXTURE));
    assertThat(report).contains(FIXTURE + ".tasks.TaskThing", FIXTURE + ".tasks.PublicRecord$Part");
    assertThat(report).doesNotContain(FIXTURE + ".tasks.TaskType", FIXTURE + ".tasks.Internal");
  }

  @Test
  void no_module_imports_another_module_and_the_contract_imports_no_module() {
    modules("io.steward").check(STEWARD);
  }

  @Test
  void only_the_adapters_use_library_internals() {
    libraryInternals("io.steward").check(STEWARD);
  }

  @Test
  void no_two_packages_import_each_other() {
    packageCycles("io.steward").check(STEWARD);
  }

  @Test
  void the_module_rule_catches_a_module_that_imports_another_module_the_node_or_the_edge() {
    String report = violations(modules(FIXTURE).withOptionalLayers(true));
    assertThat(report).contains(FIXTURE + ".fanout.ImportsTasks", FIXTURE + ".cache.ImportsNode",
      FIXTURE + ".tasks.ImportsEdge", FIXTURE + ".bus.ImportsSpi");
    assertThat(report).doesNotContain(FIXTURE + ".http.UsesEdge");
  }

  @Test
  void the_internals_rule_catches_a_use_outside_the_adapters() {
    String report = violations(libraryInternals(FIXTURE));
    assertThat(report).contains(FIXTURE + ".schedule.UsesVertxInternals", FIXTURE + ".cache.UsesHazelcastImpl");
    assertThat(report).doesNotContain(FIXTURE + ".spi.VertxInternals");
  }

  @Test
  void the_cycle_rule_catches_two_packages_that_import_each_other() {
    String report = violations(packageCycles(FIXTURE));
    assertThat(report).contains(FIXTURE + ".store.CycleStore", FIXTURE + ".spi.CycleSpi");
  }

  private static String violations(ArchRule rule) {
    EvaluationResult result = rule.evaluate(BAD);
    assertThat(result.hasViolation()).as("the rule finds the fixture's violations: " + rule.getDescription()).isTrue();
    return String.join("\n", result.getFailureReport().getDetails());
  }
}
