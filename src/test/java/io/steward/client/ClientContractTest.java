package io.steward.client;

import io.steward.bus.Failure;
import org.junit.jupiter.api.Test;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import java.util.stream.Stream;

import static org.assertj.core.api.Assertions.assertThat;

/** The client agrees with the nodes' failure table, and depends on nothing of Steward's server. */
class ClientContractTest {

  @Test
  void the_client_failure_table_equals_the_nodes_table() {
    List<String> nodes = Arrays.stream(Failure.values())
      .map(f -> f.name() + " " + f.code() + " retry=" + f.retryable() + " applied=" + f.mayHaveApplied()).toList();
    List<String> client = Arrays.stream(FailureCode.values())
      .map(f -> f.name() + " " + f.code() + " retry=" + f.retryable() + " applied=" + f.mayHaveApplied()).toList();
    assertThat(client).containsExactlyElementsOf(nodes);
    assertThat(FailureCode.of(422)).as("an unknown code, as on the nodes").isEqualTo(FailureCode.HANDLER_FAILED);
    assertThat(Failure.ofCode(422).name()).isEqualTo(FailureCode.of(422).name());
  }

  @Test
  void every_address_the_client_sends_to_is_one_the_nodes_answer_on() throws Exception {
    List<String> nodes = new ArrayList<>();
    for (Class<?> c : io.steward.bus.Addresses.class.getDeclaredClasses()) {
      nodes.addAll(constants(c));
    }
    List<String> client = new ArrayList<>();
    for (Class<?> c : List.of(Tasks.class, Workflows.class, Fanout.class, Schedule.class, Cache.class)) {
      client.addAll(constants(c));
    }
    assertThat(client).hasSizeGreaterThan(20).allSatisfy(a -> assertThat(nodes).as("io.steward.bus.Addresses").contains(a));
  }

  private static List<String> constants(Class<?> c) throws IllegalAccessException {
    List<String> values = new ArrayList<>();
    for (java.lang.reflect.Field f : c.getDeclaredFields()) {
      if (java.lang.reflect.Modifier.isStatic(f.getModifiers()) && f.getType() == String.class) {
        f.setAccessible(true);
        String v = (String) f.get(null);
        if (v.startsWith("steward.")) {
          values.add(v);
        }
      }
    }
    return values;
  }

  @Test
  void the_client_classes_refer_to_no_steward_class_outside_the_client_package() throws IOException {
    Path dir = Path.of(StewardClient.class.getProtectionDomain().getCodeSource().getLocation().getPath(),
      "io", "steward", "client");
    // Every class a class file refers to is named in its constant pool as io/steward/...; string constants
    // (addresses) use dots, so they do not match.
    Pattern reference = Pattern.compile("io/steward/[A-Za-z0-9_/$]+");
    List<String> outside = new ArrayList<>();
    int classes = 0;
    try (Stream<Path> files = Files.list(dir)) {
      for (Path f : files.filter(p -> p.toString().endsWith(".class")).toList()) {
        classes++;
        Matcher m = reference.matcher(new String(Files.readAllBytes(f), StandardCharsets.ISO_8859_1));
        while (m.find()) {
          if (!m.group().startsWith("io/steward/client/")) {
            outside.add(f.getFileName() + " -> " + m.group());
          }
        }
      }
    }
    assertThat(classes).as("client classes in " + dir).isGreaterThan(10);
    assertThat(outside).as("references from io.steward.client to the server's classes").isEmpty();
  }
}
