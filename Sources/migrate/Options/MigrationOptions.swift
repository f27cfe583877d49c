import ArgumentParser
import Foundation
import Runway

/// Where the migrations are and how they are interpreted.
struct MigrationOptions: ParsableArguments {
    @Option(help: "Comma-separated migration folders; 'filesystem:' prefix optional.")
    var locations: String = "migrations"

    @Option(help: "Comma-separated schemas to manage; the first holds the history table.")
    var schemas: String?

    @Option(help: "The schema history table.")
    var table: String = "flyway_schema_history"

    @Option(name: .customLong("placeholder"), help: "A placeholder value, name=value (repeatable).")
    var placeholders: [String] = []

    @Flag(help: "Fail on SQL file names that do not follow the V/R naming convention instead of skipping them.")
    var validateMigrationNaming = false

    @Flag(help: "Apply versioned migrations older than the current version.")
    var outOfOrder = false

    @Option(help: "Target version: a version, latest, current or next.")
    var target: String?

    @Option(help: "Comma-separated <type>:<state> patterns validation ignores (default *:future).")
    var ignoreMigrationPatterns: String?

    @Option(help: "Seconds to wait for the migration lock, one try per second (-1 waits forever; default 50).")
    var lockRetryCount: Int?

    @Option(help: "Value for installed_by (default: the database user).")
    var installedBy: String?

    @Flag(help: "Fail when a location folder does not exist.")
    var failOnMissingLocations = false

    func apply(to configuration: inout Configuration) throws(RunwayError) {
        configuration.locations = locations.split(separator: ",").map { $0.trimmingCharacters(in: .whitespaces) }
        if let schemas {
            configuration.schemas = schemas.split(separator: ",").map { $0.trimmingCharacters(in: .whitespaces) }
                .filter { !$0.isEmpty }
        }
        guard !table.isEmpty else { throw RunwayError(.configuration, "--table is empty") }
        configuration.table = table
        for item in placeholders {
            guard let equals = item.firstIndex(of: "="), equals != item.startIndex else {
                throw RunwayError(.configuration, "--placeholder '\(item)' must look like name=value")
            }
            configuration.placeholders[String(item[..<equals])] = String(item[item.index(after: equals)...])
        }
        configuration.validateMigrationNaming = validateMigrationNaming
        configuration.outOfOrder = outOfOrder
        configuration.failOnMissingLocations = failOnMissingLocations
        if let target { configuration.target = try MigrationTarget(parsing: target) }
        if let ignoreMigrationPatterns {
            configuration.ignoreMigrationPatterns = try ValidatePattern.parseList(ignoreMigrationPatterns)
        }
        if let lockRetryCount {
            guard lockRetryCount >= -1 else { throw RunwayError(.configuration, "--lock-retry-count must be -1 or more") }
            configuration.lockRetryCount = lockRetryCount
        }
        if let installedBy { configuration.installedBy = installedBy }
    }
}
