import Foundation
import Logging

@testable import Runway

/// What applying a script did: whether and where it failed, and what it left in the database.
package struct ApplyOutcome: Sendable, Equatable, CustomStringConvertible {
    package struct Failure: Sendable, Equatable {
        /// psql: the line where the failing statement ends; Runway: where it starts (or where the server's error
        /// position points). The same for a statement on one line.
        package var line: Int?
        package var sqlState: String?
        /// Shown, not compared: psql and Runway word errors differently.
        package var message: String

        package static func == (left: Failure, right: Failure) -> Bool {
            left.line == right.line && left.sqlState == right.sqlState
        }
    }

    package var failure: Failure?
    /// Each row of each table, as `table {json}` without the serial `id` (rows in `id` order): sequences are not
    /// transactional, so a rolled-back insert moves later ids without changing what is stored.
    package var data: [String]
    /// Relations (with columns, index definitions and validity) and function definitions.
    package var schema: [String]

    package var description: String {
        let failed =
            failure.map { "failed at line \($0.line.map(String.init) ?? "?"), SQLSTATE \($0.sqlState ?? "none")" }
            ?? "succeeded"
        let message = failure.map { "\n  error: " + $0.message.replacingOccurrences(of: "\n", with: "\n         ") }
        return failed + (message ?? "") + "\n  data:\n" + Self.indented(data) + "\n  schema:\n" + Self.indented(schema)
    }

    private static func indented(_ lines: [String]) -> String {
        lines.isEmpty ? "    (none)" : lines.map { "    " + $0 }.joined(separator: "\n")
    }
}

/// Lets at most `width` scripts be applied at a time. Swift Testing starts every case of a parameterised test at
/// once, and hundreds of concurrent `CREATE DATABASE` on two cores take longer than a few at a time.
package actor ScriptGate {
    private var available: Int
    private var waiting: [CheckedContinuation<Void, Never>] = []

    package init(width: Int) { available = width }

    package func run<T: Sendable>(_ body: @Sendable () async throws -> T) async rethrows -> T {
        await enter()
        defer { leave() }
        return try await body()
    }

    private func enter() async {
        if available > 0 {
            available -= 1
            return
        }
        await withCheckedContinuation { waiting.append($0) }
    }

    private func leave() {
        if waiting.isEmpty { available += 1 } else { waiting.removeFirst().resume() }
    }
}

/// Applies a script with `psql -X -v ON_ERROR_STOP=1 [-1] -f` and with Runway (as the migration `V1__gen.sql`), each
/// to a fresh database of the test server, and reads back what each left behind (issue 12's requirement: the same
/// for any script).
package enum PsqlDifferential {
    /// Four scripts at a time: 150 scripts took 44 s here, against 50-100 s with 2, 8 or all at once.
    package static let gate = ScriptGate(width: 4)

    /// Applies `script` with psql and with Runway, each to a fresh database (through ``gate``).
    package static func applyWithBoth(
        _ script: String, transactional: Bool
    ) async throws -> (psql: ApplyOutcome, runway: ApplyOutcome) {
        try await gate.run {
            let psql = try await applyWithPsql(script, transactional: transactional)
            let runway = try await applyWithRunway(script, transactional: transactional)
            return (psql, runway)
        }
    }

    /// Applies `script` with psql: `-1` when `transactional`. The password goes through the environment only.
    package static func applyWithPsql(_ script: String, transactional: Bool) async throws -> ApplyOutcome {
        try await offPool {
            let database = try TestDatabase("diffpsql")
            let endpoint = database.endpoint
            guard !endpoint.bin.isEmpty else {
                throw TestFailure("RUNWAY_TEST_PGBIN is not set: run the tests with scripts/with-postgres.sh")
            }
            let folder = try MigrationFolder(["V1__gen.sql": script])
            let path = folder.path + "/V1__gen.sql"
            var arguments = ["-X", "-v", "ON_ERROR_STOP=1", "-v", "VERBOSITY=verbose"]
            if transactional { arguments.append("-1") }
            arguments += ["-h", endpoint.host, "-p", endpoint.port, "-U", endpoint.user, "-d", database.name]
            arguments += ["-f", path]
            let environment = [
                "PGPASSWORD": endpoint.password, "PGCLIENTENCODING": "UTF8", "PGSSLMODE": "disable",
                "PATH": "/usr/bin:/bin",
            ]
            let (status, errors) = try run(endpoint.bin + "/psql", arguments, environment: environment)
            let failure: ApplyOutcome.Failure?
            switch status {
            case 0:
                failure = nil
            case 3:
                guard let error = psqlError(in: errors, file: path) else {
                    throw TestFailure("psql exited with 3 but printed no error:\n\(errors)")
                }
                failure = error
            default:
                throw TestFailure("psql exited with \(status):\n\(errors)")
            }
            let (data, schema) = try snapshot(database)
            return ApplyOutcome(failure: failure, data: data, schema: schema)
        }
    }

    /// Applies `script` with Runway as `V1__gen.sql`, Flyway's defaults otherwise; `mixed` for a non-transactional
    /// script (it also holds statements that could run in a transaction, which Flyway refuses without it).
    package static func applyWithRunway(_ script: String, transactional: Bool) async throws -> ApplyOutcome {
        let database = try await offPool { try TestDatabase("diffrunway") }
        let folder = try MigrationFolder(["V1__gen.sql": script])
        var configuration = database.configuration([folder.path])
        configuration.mixed = !transactional
        let migrator = Migrator(
            configuration: configuration, logger: Logger(label: "runway-diff") { _ in SwiftLogNoOpLogHandler() })
        var failure: ApplyOutcome.Failure?
        do {
            try await migrator.migrate()
        } catch {
            failure = ApplyOutcome.Failure(
                line: error.line, sqlState: error.sqlState?.rawValue, message: error.description)
        }
        let (data, schema) = try await offPool { try snapshot(database) }
        return ApplyOutcome(failure: failure, data: data, schema: schema)
    }

    /// The failure message: the script, ready to paste into the regression table, and both outcomes.
    package static func report(
        _ script: String, transactional: Bool, psql: ApplyOutcome, runway: ApplyOutcome, seed: UInt64? = nil
    ) -> String {
        let header =
            seed.map {
                "Runway and psql disagree on generated script \($0) (again: RUNWAY_DIFF_SEED=\($0) RUNWAY_DIFF_COUNT=1 "
                    + "scripts/with-postgres.sh swift test --skip-build --filter PsqlDifferentialTests/generatedScript)"
            } ?? "Runway and psql disagree"
        return """
            \(header)
            script (\(transactional ? "transactional: psql -1" : "non-transactional: psql without -1")):
            #\"\"\"
            \(script)
            \"\"\"#
            psql: \(psql)
            Runway: \(runway)
            """
    }

    // MARK: - Reading the outcome

    /// The first `psql:FILE:LINE: ERROR:  SQLSTATE: message` line (`VERBOSITY=verbose`) with the lines after it.
    package static func psqlError(in output: String, file: String) -> ApplyOutcome.Failure? {
        let prefix = "psql:\(file):"
        let lines = output.split(separator: "\n", omittingEmptySubsequences: false)
        for (index, line) in lines.enumerated() where line.hasPrefix(prefix) {
            let rest = line.dropFirst(prefix.count)
            guard let colon = rest.firstIndex(of: ":"), let number = Int(rest[..<colon]) else { continue }
            let text = rest[colon...].dropFirst().drop(while: { $0 == " " })
            guard text.hasPrefix("ERROR:") else { continue }
            let message = text.dropFirst("ERROR:".count).drop(while: { $0 == " " })
            let state = message.prefix(5)
            let hasState = message.dropFirst(5).hasPrefix(":") && state.allSatisfy { $0.isLetter || $0.isNumber }
            // What the server said about this error (LINE, DETAIL, HINT, CONTEXT), not the warnings after it.
            let details = lines[(index + 1)...]
                .prefix { line in !["psql:", "WARNING:", "NOTICE:"].contains { line.hasPrefix($0) } && !line.isEmpty }
                .filter { !$0.hasPrefix("LOCATION:") }
            return ApplyOutcome.Failure(
                line: number, sqlState: hasState ? String(state) : nil,
                message: ([String(message)] + details.map(String.init)).joined(separator: "\n"))
        }
        return nil
    }

    /// The database's user tables (not the history table) and objects, in a deterministic order.
    package static func snapshot(_ database: TestDatabase) throws -> (data: [String], schema: [String]) {
        let connection = try database.connect()
        let tables = try connection.execute(
            """
            SELECT c.oid::regclass::text,
                   EXISTS (SELECT FROM pg_attribute a WHERE a.attrelid = c.oid AND a.attname = 'id' AND a.attnum > 0)
            FROM pg_class c
            WHERE c.relnamespace = 'public'::regnamespace AND c.relkind IN ('r', 'p')
              AND c.relname <> 'flyway_schema_history'
            ORDER BY c.relname COLLATE "C"
            """
        ).rows
        var data: [String] = []
        for table in tables {
            guard let name = table[0] else { continue }
            let order = table[1] == "t" ? "r.id" : "1"
            let rows = try connection.execute(
                "SELECT (to_jsonb(r) - 'id')::text FROM \(name) r ORDER BY \(order)"
            ).rows
            data += rows.map { "\(name) \($0[0] ?? "NULL")" }
        }
        let schema = try connection.execute(
            """
            SELECT entry FROM (
                SELECT c.relkind::text || ' ' || c.oid::regclass::text
                       || coalesce(' (' || (SELECT string_agg(a.attname || ' ' || format_type(a.atttypid, a.atttypmod),
                                                              ', ' ORDER BY a.attnum)
                                            FROM pg_attribute a
                                            WHERE a.attrelid = c.oid AND a.attnum > 0 AND NOT a.attisdropped)
                                   || ')', '')
                       || coalesce(' ' || pg_get_indexdef(i.indexrelid), '')
                       || CASE WHEN i.indisvalid = false THEN ' INVALID' ELSE '' END AS entry
                FROM pg_class c LEFT JOIN pg_index i ON i.indexrelid = c.oid
                WHERE c.relnamespace = 'public'::regnamespace AND c.relname !~ '^flyway_schema_history'
                UNION ALL
                SELECT pg_get_functiondef(p.oid) FROM pg_proc p WHERE p.pronamespace = 'public'::regnamespace
            ) objects
            ORDER BY entry COLLATE "C"
            """
        ).rows
        return (data, schema.map { $0[0] ?? "NULL" })
    }

    // MARK: - Processes

    /// Runs `executable` with exactly `environment`, stdin and stdout on /dev/null; returns its exit status and
    /// what it wrote to stderr.
    package static func run(
        _ executable: String, _ arguments: [String], environment: [String: String]
    ) throws -> (status: Int32, stderr: String) {
        let errorPath = FileManager.default.temporaryDirectory.appendingPathComponent("psql-\(UUID().uuidString)").path
        defer { try? FileManager.default.removeItem(atPath: errorPath) }
        var actions = posix_spawn_file_actions_t()
        posix_spawn_file_actions_init(&actions)
        defer { posix_spawn_file_actions_destroy(&actions) }
        posix_spawn_file_actions_addopen(&actions, 0, "/dev/null", O_RDONLY, 0)
        posix_spawn_file_actions_addopen(&actions, 1, "/dev/null", O_WRONLY, 0)
        posix_spawn_file_actions_addopen(&actions, 2, errorPath, O_WRONLY | O_CREAT | O_TRUNC, 0o600)
        let argv = ([executable] + arguments).map { strdup($0) } + [nil]
        let envp = environment.map { strdup("\($0.key)=\($0.value)") } + [nil]
        defer {
            argv.forEach { free($0) }
            envp.forEach { free($0) }
        }
        var pid: pid_t = 0
        let spawned = posix_spawn(&pid, executable, &actions, nil, argv, envp)
        guard spawned == 0 else { throw TestFailure("posix_spawn \(executable) failed (\(spawned))") }
        var status: Int32 = 0
        while waitpid(pid, &status, 0) == -1 && errno == EINTR {}
        let errors = (try? String(contentsOfFile: errorPath, encoding: .utf8)) ?? ""
        // WIFEXITED: the exit status; otherwise 128 + the signal, as a shell reports it.
        let exitStatus = status & 0x7f == 0 ? (status >> 8) & 0xff : 128 + (status & 0x7f)
        return (exitStatus, errors)
    }
}
