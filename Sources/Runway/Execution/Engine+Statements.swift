#if canImport(FoundationEssentials)
    import FoundationEssentials
#else
    import Foundation
#endif
import Logging

// Running a migration's statements on the session, one at a time as psql sends them: pipelined inside a transaction
// (one Sync each, so nothing behind an error runs), alone where they control the transaction, stream COPY data or
// depend on standard_conforming_strings; with the statement callbacks and the bookkeeping of how far a script got.

extension Engine {
    /// What one run of a script got through: how many statements completed, and where the script ended the
    /// migration's transaction itself (`COMMIT`, `ROLLBACK`, `PREPARE TRANSACTION` part-way).
    final class ScriptProgress {
        private(set) var completed = 0
        /// The lines of the first completed statements (for the error of a migration that committed part-way).
        private(set) var completedLines: [Int] = []
        var transactionEnd: (line: Int, command: String, completedBefore: Int)?

        /// How many lines ``completedLines`` keeps.
        static let linesKept = 20

        func completed(_ statement: SQLStatement) {
            completed += 1
            if completedLines.count < Self.linesKept { completedLines.append(statement.line) }
        }

        func reset() {
            completed = 0
            completedLines = []
            transactionEnd = nil
        }
    }

    /// Session reset, `beforeEachMigrate`, the statements one by one (with statement callbacks), `afterEachMigrate`.
    func run(
        _ prepared: PreparedMigration, context: Context, stateRestored: Bool = false, _ progress: ScriptProgress
    ) throws(RunwayError) {
        let session = context.session
        let callbacks = context.callbacks
        if !stateRestored { try session.restoreOriginalState() }
        if configuration.skipExecutingMigrations { return }
        try applyTimeouts(local: prepared.transactional, session: session)
        defer { if !prepared.transactional { resetTimeouts(session: session) } }
        try fire("beforeEachMigrate", callbacks: callbacks, session: session, inTransaction: true)
        let statementCallbacks =
            callbacks.handles("beforeEachMigrateStatement")
            || callbacks.handles("afterEachMigrateStatement") || callbacks.handles("afterEachMigrateStatementError")
        let statements = try stream(of: prepared.source, file: prepared.file, session: session)
        // Inside the migration's transaction, statements are pipelined: sent without waiting for the one before,
        // each still parsed and run on its own (see Connection.sendPipelined). A statement that could change what
        // follows in a way the pipeline would not see (transaction control, a split that depends on
        // standard_conforming_strings, COPY) waits for all results first and runs on its own.
        let pipelines = prepared.transactional && !statementCallbacks
        var inFlight: [SQLStatement] = []
        /// Records the outcome of `statement`: the transaction's end when the script ended it, or the error.
        func settle(_ statement: SQLStatement, autocommit: Bool, _ run: () throws(RunwayError) -> QueryResult)
            throws(RunwayError)
        {
            do {
                let result = try run()
                if prepared.transactional, progress.transactionEnd == nil,
                    Self.endsTransaction(result.commandTag)
                        || (!session.work.isPipelining && session.work.transactionStatus != .inTransaction)
                {
                    progress.transactionEnd = (statement.line, result.commandTag, progress.completed + 1)
                    logger.warning(
                        """
                        The migration ended its own transaction part-way: what ran so far stays committed, and the \
                        rest runs statement by statement in autocommit (as psql -1 runs it)
                        """,
                        metadata: [
                            "migration": "\(prepared.file.relativePath)", "line": .stringConvertible(statement.line),
                            "command": "\(result.commandTag)",
                        ])
                }
            } catch {
                var fields = error.fields
                fields.file = prepared.file.relativePath
                fields.line = error.line ?? Self.line(of: statement, position: error.position)
                fields.statement = error.statement ?? Self.shorten(statement.sql)
                if statementCallbacks {
                    fireQuietly("afterEachMigrateStatementError", callbacks: callbacks, session: session)
                }
                if autocommit || progress.transactionEnd != nil {
                    fields.detail = [error.detail, partialProgress(prepared, progress, session: session)]
                        .compactMap { $0 }.joined(separator: "\n")
                }
                throw RunwayError(fields)
            }
            progress.completed(statement)
        }
        /// Reads results until at most `keeping` statements are in flight.
        func drain(keeping: Int) throws(RunwayError) {
            while inFlight.count > keeping {
                let statement = inFlight.removeFirst()
                try settle(statement, autocommit: false) { () throws(RunwayError) in
                    try session.work.nextPipelinedResult()
                }
            }
            if keeping == 0 { session.work.endPipeline(pending: 0) }
        }
        do throws(RunwayError) {
            while let statement = try statements.next() {
                try cancellation.check()
                if pipelines, progress.transactionEnd == nil, Self.canPipeline(statement) {
                    try session.work.sendPipelined(statement.sql)
                    inFlight.append(statement)
                    try drain(keeping: Self.pipelineDepth)
                    continue
                }
                try drain(keeping: 0)
                // Every statement that commits on its own first checks that the lock is still held.
                let autocommit = !prepared.transactional || progress.transactionEnd != nil
                if autocommit { try session.verifyLockHeld() }
                if statementCallbacks {
                    try fire("beforeEachMigrateStatement", callbacks: callbacks, session: session, inTransaction: true)
                }
                try settle(statement, autocommit: autocommit) { () throws(RunwayError) in
                    try checkStandardStrings(statement, prepared: prepared, session: session)
                    return try execute(statement, from: statements, on: session.work)
                }
                if statementCallbacks {
                    try fire("afterEachMigrateStatement", callbacks: callbacks, session: session, inTransaction: true)
                }
            }
            try drain(keeping: 0)
        } catch {
            session.work.endPipeline(pending: inFlight.count)
            throw error
        }
        try fire("afterEachMigrate", callbacks: callbacks, session: session, inTransaction: true)
    }

    /// How many statements may be in flight in a pipeline before their results are read.
    private static let pipelineDepth = 256

    /// Whether a statement may be pipelined: not transaction control (a `COMMIT` or `ROLLBACK` queued behind a
    /// failing statement would end the aborted transaction and let the statements after it run), not split
    /// according to `standard_conforming_strings` (it is checked against the session before it is sent), not `COPY`
    /// (libpq runs no COPY in a pipeline).
    static func canPipeline(_ statement: SQLStatement) -> Bool {
        !statement.runsOnItsOwn && !statement.copyDataFollows && statement.splitWithStandardStrings == nil
    }

    /// Command tags of statements that end the transaction (`COMMIT AND CHAIN` keeps one open after committing).
    static func endsTransaction(_ tag: String) -> Bool {
        tag == "COMMIT" || tag == "ROLLBACK" || tag == "PREPARE TRANSACTION"
    }

    /// Refuses to send a statement split for another `standard_conforming_strings` than the session has now (the
    /// script changed it in a way the splitter cannot follow, such as `set_config()` or a function).
    func checkStandardStrings(
        _ statement: SQLStatement, prepared: PreparedMigration, session: Session
    ) throws(RunwayError) {
        guard let assumed = statement.splitWithStandardStrings else { return }
        let current = session.work.standardConformingStrings
        guard assumed != current else { return }
        throw RunwayError(
            .invalidMigration,
            "Statement at line \(statement.line) of \(prepared.file.relativePath) holds a '...' literal with a "
                + "backslash, which was read with standard_conforming_strings = \(assumed ? "on" : "off"), but the "
                + "session now has it \(current ? "on" : "off") (changed by something other than a plain SET or "
                + "RESET statement). Nothing of this statement ran. Change the setting with SET "
                + "standard_conforming_strings, or write the literal as E'...'.",
            file: prepared.file.relativePath, line: statement.line, statement: Self.shorten(statement.sql))
    }
}
