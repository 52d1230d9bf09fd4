package io.steward;

import com.tngtech.archunit.base.DescribedPredicate;
import com.tngtech.archunit.core.domain.JavaClass;
import com.tngtech.archunit.core.domain.JavaClasses;
import com.tngtech.archunit.core.importer.ClassFileImporter;
import com.tngtech.archunit.core.importer.ImportOption;
import com.tngtech.archunit.lang.ArchRule;
import com.tngtech.archunit.lang.EvaluationResult;
import com.tngtech.archunit.library.Architectures.LayeredArchitecture;
import org.junit.jupiter.api.Test;

import java.util.List;
import java.util.stream.Stream;

import static com.tngtech.archunit.lang.syntax.ArchRuleDefinition.noClasses;
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
 *   <li>{@code observe}: the metrics registry and the escaping of client text in log lines. Uses nothing else
 *       of Steward; everything may use it.</li>
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
 */
class ArchitectureTest {

  /** The modules: none imports another's classes (the durability {@code store} counts as one). */
  static final List<String> MODULES = List.of("tasks", "fanout", "schedule", "cache", "store", "http", "bridge");
  /** The modules that are doors to the cluster, and may use {@code edge}. */
  static final List<String> DOORS = List.of("http", "bridge");
  /** The only classes that may use library internals: one adapter per library, in {@code spi}. */
  static final List<String> ADAPTERS = List.of("spi.VertxInternals", "spi.HazelcastInternals");
  /** Classes let through the internals rule by name while they move behind the adapters: none left. */
  static final List<String> PENDING = List.of();
  /** Library internals: no compatibility promise, an upgrade may change or remove any of them. */
  static final String[] INTERNALS = {"io.vertx..internal..", "io.vertx..impl..", "com.hazelcast..impl..",
    "com.hazelcast.internal.."};

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
