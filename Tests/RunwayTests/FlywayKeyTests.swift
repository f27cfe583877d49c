import Foundation
import Testing

@testable import Runway

@Suite("FlywayKey (key table, §12.2)")
struct FlywayKeyTests {
    @Test(
        "environment variable names",
        arguments: [
            ("FLYWAY_URL", "url"), ("FLYWAY_CONNECT_RETRIES_INTERVAL", "connectRetriesInterval"),
            ("FLYWAY_INIT_SQL", "initSql"), ("FLYWAY_SQL_MIGRATION_SUFFIXES", "sqlMigrationSuffixes"),
            ("FLYWAY_POSTGRESQL_TRANSACTIONAL_LOCK", "postgresql.transactional.lock"),
            ("FLYWAY_BASELINE_MIGRATION_PREFIX", "baselineMigrationPrefix"), ("FLYWAY_CONFIG_FILES", "configFiles"),
            ("FLYWAY_PLACEHOLDERS_APP_ROLE", "placeholders.app_role"),
            ("FLYWAY_JDBC_PROPERTIES_SSLMODE", "jdbcProperties.sslmode"),
            ("FLYWAY_JDBC_PROPERTIES_ACCESSTOKEN", "jdbcProperties.accessToken"),
            ("FLYWAY_DRYRUN_OUTPUT", "dryRunOutput"),
        ])
    func environmentVariable(name: String, key: String) {
        #expect(FlywayKey.key(forEnvironmentVariable: name) == key)
    }

    @Test(
        "names that are not Flyway's map to nothing",
        arguments: ["FLYWAY_ENABLED", "FLYWAY_WORKING_DIRECTORY", "DB_HOST"])
    func notFlyway(name: String) {
        #expect(FlywayKey.key(forEnvironmentVariable: name) == nil)
    }

    @Test("every row has a distinct key and variable")
    func distinct() {
        #expect(Set(FlywayKey.all.map(\.name)).count == FlywayKey.all.count)
        let variables = FlywayKey.all.compactMap(\.environmentVariable)
        #expect(Set(variables).count == variables.count)
    }
}
