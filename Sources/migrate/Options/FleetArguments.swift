import ArgumentParser
#if canImport(FoundationEssentials)
    import FoundationEssentials
#else
    import Foundation
#endif
import Runway

/// The fleet flags: run the command on every tenant schema or database instead of one target.
struct FleetArguments: ParsableArguments {
    @Option(
        help: ArgumentHelp(
            "Run on every schema this query returns (one column, run read-only on the configured database); each "
                + "schema has its own history table.", valueName: "sql"))
    var eachSchemaQuery: String?

    @Option(help: ArgumentHelp("Run on each of these schemas (comma-separated).", valueName: "names"))
    var eachSchema: String?

    @Option(
        help: ArgumentHelp("Run on each schema listed in this file (one a line, # comments).", valueName: "path"))
    var eachSchemaFile: String?

    @Option(
        help: ArgumentHelp(
            "Run on every database this query returns (one column, run read-only on the configured database).",
            valueName: "sql"))
    var eachDatabaseQuery: String?

    @Option(help: ArgumentHelp("Run on each of these databases (comma-separated).", valueName: "names"))
    var eachDatabase: String?

    @Option(
        help: ArgumentHelp(
            "Run on each database listed in this file: a name on the configured server, or a postgresql:// URL "
                + "(its own credentials, or ~/.pgpass) per line.", valueName: "path"))
    var eachDatabaseFile: String?

    @Option(
        help: ArgumentHelp(
            "Targets in flight at once (default \(FleetOptions.defaultParallel)); each costs up to two connections, "
                + "so N costs up to 2N. Lowered when the server has fewer free connections.", valueName: "n"))
    var parallel: Int?

    @Option(
        help: ArgumentHelp(
            "Take only shard K of N (K from 0) by a stable hash of the target name; in an Indexed Job: "
                + "--shard=$(JOB_COMPLETION_INDEX)/N.", valueName: "K/N"))
    var shard: String?

    @Flag(help: "Stop starting targets after the first failure (by default the others go on).")
    var failFast = false

    /// Refuses the fleet's own flags without targets, and two sources of targets, before anything runs.
    func validate() throws {
        do { _ = try targets() } catch { throw ValidationError(error.message) }
    }

    /// Whether a fleet flag was given (the command then runs on every target).
    var isActive: Bool {
        [eachSchemaQuery, eachSchema, eachSchemaFile, eachDatabaseQuery, eachDatabase, eachDatabaseFile]
            .contains { $0 != nil }
    }

    /// The targets the flags name, or `nil` for a single-target run; refuses two sources, and the fleet's own
    /// flags without one.
    func targets() throws(RunwayError) -> FleetTargets? {
        let given = [
            ("--each-schema-query", eachSchemaQuery), ("--each-schema", eachSchema),
            ("--each-schema-file", eachSchemaFile), ("--each-database-query", eachDatabaseQuery),
            ("--each-database", eachDatabase), ("--each-database-file", eachDatabaseFile),
        ].filter { $0.1 != nil }
        guard given.count <= 1 else {
            throw RunwayError(
                .configuration,
                "\(given.map(\.0).joined(separator: " and ")) each name the targets: give one of them")
        }
        guard let (flag, value) = given.first, let value else {
            let stray = [
                parallel.map { _ in "--parallel" }, shard.map { _ in "--shard" }, failFast ? "--fail-fast" : nil,
            ].compactMap { $0 }
            if let first = stray.first {
                throw RunwayError(
                    .configuration, "\(first) needs targets: --each-schema-query, --each-database-query, ...")
            }
            return nil
        }
        switch flag {
        case "--each-schema-query": return .schemas(query: try Self.query(value, flag: flag))
        case "--each-database-query": return .databases(query: try Self.query(value, flag: flag))
        case "--each-schema": return .schemas(try Self.list(value, flag: flag))
        case "--each-database": return .databases(try Self.list(value, flag: flag))
        case "--each-schema-file": return .schemas(try Self.file(value, flag: flag))
        default: return .databases(try Self.file(value, flag: flag))
        }
    }

    /// Parallelism, shard and fail-fast.
    func options() throws(RunwayError) -> FleetOptions {
        if let parallel, parallel < 1 {
            throw RunwayError(.configuration, "--parallel \(parallel): at least one target must be in flight")
        }
        return FleetOptions(
            parallel: parallel ?? FleetOptions.defaultParallel,
            shard: try shard.map { text throws(RunwayError) in
                try FleetShard(parsing: text)
            }, failFast: failFast)
    }

    private static func query(_ sql: String, flag: String) throws(RunwayError) -> String {
        guard !sql.trimmingWhitespace().isEmpty else {
            throw RunwayError(.configuration, "\(flag) is empty: give the query")
        }
        return sql
    }

    private static func list(_ text: String, flag: String) throws(RunwayError) -> [String] {
        let names = text.split(separator: ",", omittingEmptySubsequences: false).map {
            String($0).trimmingWhitespace()
        }
        guard !names.isEmpty, !names.contains(where: \.isEmpty) else {
            throw RunwayError(
                .configuration, "\(flag) \(text.debugDescription) holds an empty name: list names separated by commas")
        }
        return names
    }

    private static func file(_ path: String, flag: String) throws(RunwayError) -> [String] {
        guard let data = FileManager.default.contents(atPath: path) else {
            throw RunwayError(.configuration, "\(flag) \(path): the file cannot be read")
        }
        guard let text = String(validating: data, as: UTF8.self) else {
            throw RunwayError(.configuration, "\(flag) \(path): the file is not UTF-8 text")
        }
        let entries = FleetTargets.entries(fromFileText: text)
        guard !entries.isEmpty else { throw RunwayError(.configuration, "\(flag) \(path) lists no target") }
        return entries
    }
}
