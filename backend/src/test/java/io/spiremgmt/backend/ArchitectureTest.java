package io.spiremgmt.backend;

import static com.tngtech.archunit.base.DescribedPredicate.not;
import static com.tngtech.archunit.core.domain.JavaClass.Predicates.belongToAnyOf;
import static com.tngtech.archunit.core.domain.JavaClass.Predicates.simpleNameEndingWith;
import static com.tngtech.archunit.lang.syntax.ArchRuleDefinition.noClasses;
import static com.tngtech.archunit.library.dependencies.SlicesRuleDefinition.slices;

import com.tngtech.archunit.base.DescribedPredicate;
import com.tngtech.archunit.core.domain.JavaAccess;
import com.tngtech.archunit.core.domain.JavaClass;
import com.tngtech.archunit.core.domain.JavaClasses;
import com.tngtech.archunit.core.importer.ClassFileImporter;
import com.tngtech.archunit.core.importer.ImportOption;
import io.quarkus.grpc.GrpcService;
import io.spiremgmt.backend.audit.AuditChainCli;
import io.spiremgmt.backend.audit.AuditSealer;
import io.spiremgmt.backend.audit.DenialRecorder;
import io.spiremgmt.backend.notify.SiteNotifier;
import io.spiremgmt.backend.sync.BackgroundDuties;
import io.vertx.mutiny.sqlclient.SqlClient;
import java.sql.Connection;
import java.util.Set;
import org.hibernate.reactive.mutiny.Mutiny;
import org.junit.jupiter.api.Test;

/**
 * The backend's layering, checked on its compiled classes: features and shared packages form no
 * cycle, gRPC edges never reach persistence, and SQL and database sessions stay in repositories and
 * services (docs/architecture.md, "Layout" and "Transactions").
 */
class ArchitectureTest {
  private static final JavaClasses BACKEND =
      new ClassFileImporter()
          .withImportOption(ImportOption.Predefined.DO_NOT_INCLUDE_TESTS)
          .importPackages("io.spiremgmt.backend");

  /** Methods that run SQL: on the Vert.x client, a Hibernate Reactive session, or JDBC. */
  private static final Set<String> SQL_METHODS =
      Set.of(
          "preparedQuery",
          "query",
          "createNativeQuery",
          "createQuery",
          "createSelectionQuery",
          "createMutationQuery",
          "prepareStatement",
          "createStatement");

  private static final DescribedPredicate<JavaClass> REPOSITORY =
      simpleNameEndingWith("Repository")
          .or(simpleNameEndingWith("Reader"))
          .as("repositories (*Repository, *Reader)");

  /**
   * Classes that talk to PostgreSQL without being a repository, each for a reason of its own: the
   * NOTIFY sent inside the writer's transaction, and the offline chain verifier's JDBC.
   */
  private static final DescribedPredicate<JavaClass> SQL_EXCEPTIONS =
      belongToAnyOf(SiteNotifier.class, AuditChainCli.class);

  /** Scheduled duties that open their own transactions, as services do. */
  private static final DescribedPredicate<JavaClass> DUTIES =
      belongToAnyOf(BackgroundDuties.class, AuditSealer.class, DenialRecorder.class);

  private static final DescribedPredicate<JavaClass> DATABASE_HANDLE =
      belongToAnyOf(
              SqlClient.class, Mutiny.SessionFactory.class, Mutiny.Session.class, Connection.class)
          .or(JavaClass.Predicates.assignableTo(SqlClient.class))
          .as("database clients and sessions");

  @Test
  void featuresAndSharedPackagesDependOnEachOtherWithoutCycles() {
    // Given the backend's classes
    // When / Then
    slices()
        .matching("io.spiremgmt.backend.(*)..")
        .should()
        .beFreeOfCycles()
        .because("each feature builds on the ones below it (docs/architecture.md, Layout)")
        .check(BACKEND);
  }

  @Test
  void grpcEdgesNeverReachARepositoryOrTheDatabase() {
    // Given the backend's classes
    // When / Then
    noClasses()
        .that()
        .areAnnotatedWith(GrpcService.class)
        .should()
        .dependOnClassesThat(REPOSITORY.or(DATABASE_HANDLE))
        .because("an edge resolves the caller, maps and calls one service method")
        .check(BACKEND);
  }

  @Test
  void onlyRepositoriesRunSql() {
    // Given the backend's classes
    // When / Then
    noClasses()
        .that(not(REPOSITORY).and(not(SQL_EXCEPTIONS)))
        .should()
        .callMethodWhere(runsSql())
        .because("SQL lives in the repositories")
        .check(BACKEND);
  }

  @Test
  void onlyRepositoriesServicesAndDutiesHoldASessionOrAPool() {
    // Given the backend's classes
    // When / Then
    noClasses()
        .that(
            not(
                REPOSITORY
                    .or(simpleNameEndingWith("Service"))
                    .or(DUTIES)
                    .or(SQL_EXCEPTIONS)
                    .as("repositories, services and scheduled duties")))
        .should()
        .dependOnClassesThat(DATABASE_HANDLE)
        .because("services and duties own transactions; repositories run in them")
        .check(BACKEND);
  }

  private static DescribedPredicate<JavaAccess<?>> runsSql() {
    return new DescribedPredicate<>("a method that runs SQL") {
      @Override
      public boolean test(JavaAccess<?> access) {
        JavaClass owner = access.getTargetOwner();
        return SQL_METHODS.contains(access.getName())
            && (owner.isAssignableTo(SqlClient.class)
                || owner.isAssignableTo(Mutiny.Session.class)
                || owner.isAssignableTo(Mutiny.StatelessSession.class)
                || owner.isAssignableTo(Connection.class));
      }
    };
  }
}
