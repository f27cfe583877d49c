import ArgumentParser
import Runway

/// `migrate check --drift`: is the live schema what the applied migrations say it should be? Flyway Enterprise's
/// `check -drift`.
struct CheckCommand: RunwayCommand {
    static let configuration = CommandConfiguration(
        commandName: "check",
        abstract: "Compare the live schema with the one its applied migrations build (--drift).",
        discussion: """
            --drift: replays the migrations the live history records as applied (successful rows, in installed_rank \
            order, with this run's placeholders) on a throwaway database with the same schema names (created and \
            dropped on the configured server, or with --drift-local-cluster in a temporary local cluster), then \
            compares the catalogs: schemas, tables, columns (type, default, nullability, identity, generated), \
            constraints, indexes (definition, validity), views and materialized views, functions and procedures \
            (signature and body), triggers, sequences, enums, domains and extensions; privileges with \
            --drift-privileges. Each difference is reported once as added (only live), removed (only in the \
            migrations) or changed, with both sides. Read-only on the live database. With the fleet flags \
            (--each-schema-query...) every tenant is checked and the table names the drifted ones.

            Exit codes: 0 no drift; 1 drift, or the files cannot rebuild what was applied (edited or missing \
            files, an outdated repeatable, a baselined history); 2 bad usage (check without --drift, a bad \
            --drift-ignore pattern); 3-6 as the other commands.
            """)

    static let noMode =
        "check needs a mode: --drift (compare the live schema with the applied migrations) is the only one Runway has "
        + "(Flyway's -changes, -code and -dryrun are not available)"

    @Flag(help: "Report drift between the live schema and the applied migrations (the only check mode).")
    var drift = false

    @Option(
        name: .customLong("drift-ignore"),
        help: "Comma-separated patterns of objects managed outside migrations ('public.audit_*,tmp_*'); * and ?.")
    var driftIgnore: String?

    @Flag(name: .customLong("drift-privileges"), help: "Also compare privileges (GRANT/REVOKE).")
    var driftPrivileges = false

    @Flag(
        name: .customLong("drift-local-cluster"),
        help: "Build the expected schema in a temporary local cluster instead of a scratch database on the server.")
    var driftLocalCluster = false

    @OptionGroup var connection: ConnectionOptions
    @OptionGroup var migrations: MigrationOptions
    @OptionGroup var output: OutputOptions
    @OptionGroup(title: "Fleets") var fleet: FleetArguments

    func run(flywaySettings: [(String, String)]) async throws {
        if fleet.isActive {
            guard drift else { throw ValidationError(Self.noMode) }
            let options = DriftOptions(
                ignore: try driftIgnore.map(DriftIgnorePattern.parseList) ?? [], privileges: driftPrivileges,
                localCluster: driftLocalCluster)
            try await FleetRun.run(
                .checkDrift(options), name: "check", fleet: fleet, output: output, flywaySettings: flywaySettings,
                connection, migrations)
            return
        }
        let format = output.output
        let drift = drift
        let ignore = driftIgnore
        let privileges = driftPrivileges
        let localCluster = driftLocalCluster
        try await CommandContext.run(
            output: output, flywaySettings: flywaySettings, operation: "check", ciFormats: true, connection, migrations
        ) {
            (migrator: Migrator) throws(RunwayError) in
            guard drift else {
                throw RunwayError(.configuration, Self.noMode)
            }
            guard format != .junit else {
                throw RunwayError(.configuration, "--output junit is not available for check: use text, json or github")
            }
            let options = DriftOptions(
                ignore: try ignore.map(DriftIgnorePattern.parseList) ?? [], privileges: privileges,
                localCluster: localCluster)
            let report = try await migrator.checkDrift(options: options)
            return CommandOutput(
                json: DriftOutput.json(report),
                text: format == .github ? DriftOutput.github(report) : DriftOutput.text(report),
                ok: !report.hasDrift)
        }
    }
}
