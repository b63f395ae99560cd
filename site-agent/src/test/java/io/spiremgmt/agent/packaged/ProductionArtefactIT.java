package io.spiremgmt.agent.packaged;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;

/**
 * The embedded development database (the {@code dev} module and io.zonky's embedded PostgreSQL with
 * its binaries) never enters what is shipped: the fast-jar's libraries, nor the jars a native build
 * compiles ({@code -Pnative}, {@code target/native-sources/lib}).
 */
class ProductionArtefactIT {
  private static final List<Path> LIBRARIES =
      List.of(Path.of("target/quarkus-app/lib"), Path.of("target/native-sources/lib"));

  @Test
  void carriesNoEmbeddedDatabase() throws IOException {
    // Given: the libraries of the artefacts this build packaged
    List<Path> packaged = LIBRARIES.stream().filter(Files::isDirectory).toList();
    assertThat(packaged).as("a packaged artefact (run after `package`)").isNotEmpty();

    // When
    List<String> jars = jarNames(packaged);

    // Then
    assertThat(jars).as("the packaged libraries").isNotEmpty();
    assertThat(jars)
        .as("development-only jars in the packaged libraries")
        .noneMatch(name -> name.startsWith("io.zonky.") || name.contains("spire-mgmt-dev"));
  }

  private static List<String> jarNames(List<Path> dirs) throws IOException {
    List<String> names = new java.util.ArrayList<>();
    for (Path dir : dirs) {
      try (Stream<Path> files = Files.walk(dir)) {
        files
            .map(f -> f.getFileName().toString())
            .filter(n -> n.endsWith(".jar"))
            .forEach(names::add);
      }
    }
    return names;
  }
}
