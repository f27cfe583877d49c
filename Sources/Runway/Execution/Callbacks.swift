import Logging

/// SQL callback scripts (`beforeMigrate.sql`, `afterEachMigrate__audit.sql`...) found in the locations.
///
/// Several scripts may exist per event; they run ordered by description. Each runs with placeholders replaced
/// (`${flyway:filename}` set), after Flyway's session reset (role and search_path), in its own transaction when
/// its statements allow it, unless it fires inside a migration's transaction (`beforeEachMigrate`,
/// `afterEachMigrate`, statement events), where it shares that transaction.
struct Callbacks {
    private let scripts: [String: [(description: String, file: ScannedFile)]]

    /// Groups the callback files by event; two scripts with the same file name in different folders are an error.
    init(_ files: [ScannedFile]) throws(RunwayError) {
        var byEvent: [String: [(String, ScannedFile)]] = [:]
        var seen: [String: ScannedFile] = [:]
        for file in files {
            guard case .callback(let event, let description) = file.name else { continue }
            if let other = seen[file.filename] {
                throw .invalidMigration(
                    "Found more than 1 SQL callback script called \(file.filename)!\nOffenders:\n-> \(other.path)\n-> "
                        + "\(file.path)", file: file.relativePath)
            }
            seen[file.filename] = file
            byEvent[event, default: []].append((description, file))
        }
        scripts = byEvent.mapValues { list in
            list.sorted { JavaStringOrder.less($0.0, $1.0) }.map { (description: $0.0, file: $0.1) }
        }
    }

    /// Whether there is any callback script at all.
    var hasScripts: Bool { !scripts.isEmpty }

    /// Whether any script handles `event`.
    func handles(_ event: String) -> Bool { scripts[event]?.isEmpty == false }

    /// The scripts for `event`, in execution order.
    func scripts(for event: String) -> [(description: String, file: ScannedFile)] { scripts[event] ?? [] }
}

extension Engine {
    /// Runs the callback scripts of `event`. With `inTransaction` the caller's transaction is shared; otherwise
    /// each transactional script gets its own.
    func fire(
        _ event: String, callbacks: Callbacks, session: Session, inTransaction: Bool = false
    ) throws(RunwayError) {
        for (description, file) in callbacks.scripts(for: event) {
            let source = try source(of: file, placeholders: session.placeholders)
            let outline = try outline(of: source, file: file, session: session)
            let transactional = runsInTransaction(file, outline)
            logger.info(
                "Executing SQL callback: \(event) - \(description)\(transactional ? "" : " [non-transactional]")")
            func body() throws(RunwayError) {
                try session.restoreOriginalState()
                let statements = try stream(of: source, file: file, session: session)
                while let statement = try statements.next() {
                    do throws(RunwayError) {
                        try execute(statement, from: statements, on: session.work)
                    } catch {
                        throw error.refined {
                            $0.message = "Error while executing \(event) callback: \($0.message)"
                            $0.file = file.relativePath
                            $0.line = Self.line(of: statement, position: $0.position)
                            $0.statement = Self.shorten(statement.sql)
                            if $0.code == .database { $0.code = .migrationFailed }
                        }
                    }
                }
            }
            if inTransaction || !transactional {
                try body()
            } else {
                try session.withTransaction { () throws(RunwayError) in try body() }
            }
        }
    }

    /// Runs `event` and swallows (logs) its failure; used for `…Error` events fired while handling another error.
    func fireQuietly(_ event: String, callbacks: Callbacks, session: Session) {
        guard callbacks.handles(event) else { return }
        do { try fire(event, callbacks: callbacks, session: session) } catch {
            logger.error("Callback failed", metadata: ["event": "\(event)", "error": "\(error.message)"])
        }
    }

    /// Whether a callback script runs in a transaction: its `.sql.conf` or the configured `executeInTransaction`,
    /// and only when every statement can.
    func runsInTransaction(_ file: ScannedFile, _ outline: ScriptOutline) -> Bool {
        (file.config.executeInTransaction ?? configuration.executeInTransaction) && outline.canExecuteInTransaction
    }

    /// Where a script's bytes are read from: the file itself, or (after placeholder replacement with `placeholders`,
    /// or decoded from another encoding) bytes in memory. Needs no connection: the placeholder values are a value.
    /// Errors name the file.
    func source(of file: ScannedFile, placeholders: PlaceholderReplacer) throws(RunwayError) -> ScriptSource {
        try attributed(to: file) { () throws(RunwayError) in
            let replaces = file.config.placeholderReplacement ?? configuration.placeholderReplacement
            func replaced(_ bytes: ScriptBytes) throws(RunwayError) -> ScriptBytes? {
                try placeholders.forFile(file.relativePath).replacing(in: bytes, file: file.relativePath)
            }
            guard let stamp = file.stamp, file.decodedText == nil else {
                let bytes = try file.bytes()
                return .memory((replaces ? try replaced(bytes) : nil) ?? bytes, relativePath: file.relativePath)
            }
            let onDisk = ScriptSource.file(
                path: file.path, relativePath: file.relativePath, stamp: stamp, checksum: file.rawChecksum)
            guard replaces, try onDisk.contains(configuration.placeholderPrefix),
                let replacedBytes = try replaced(try file.bytes())
            else { return onDisk }
            return .memory(replacedBytes, relativePath: file.relativePath)
        }
    }

    /// One pass over a script's statements, split for the session as it is now (its `standard_conforming_strings`
    /// decides how plain literals with backslashes are read, as it does for psql).
    func stream(of source: ScriptSource, file: ScannedFile, session: Session) throws(RunwayError) -> StatementStream {
        try attributed(to: file) { () throws(RunwayError) in
            try source.statements(
                serverMajorVersion: session.work.serverVersion / 10000,
                standardConformingStrings: session.work.standardConformingStrings)
        }
    }

    /// Splits the whole script once, before any of it runs: how it runs, and whether it can run at all (an
    /// unclosed `/*` comment, an unfinished `BEGIN ATOMIC` block).
    func outline(of source: ScriptSource, file: ScannedFile, session: Session) throws(RunwayError) -> ScriptOutline {
        try attributed(to: file) { () throws(RunwayError) in
            let outline = try ScriptOutline(try stream(of: source, file: file, session: session))
            if let line = outline.unclosedCommentLine {
                throw RunwayError(
                    .invalidMigration,
                    "Unterminated /* comment starting at line \(line) of \(file.relativePath): everything after it "
                        + "would be skipped without a word. Close the comment with */", line: line)
            }
            return outline
        }
    }

    /// Runs one statement read from `statements`, streaming the data of a `COPY ... FROM STDIN` from it.
    @discardableResult
    func execute(
        _ statement: SQLStatement, from statements: StatementStream, on connection: Connection
    ) throws(RunwayError) -> QueryResult {
        guard statement.copyDataFollows else { return try connection.execute(statement.sql) }
        return try connection.execute(statement.sql) { (put) throws(RunwayError) in
            try statements.copyData(put)
        }
    }

    private func attributed<T>(to file: ScannedFile, _ body: () throws(RunwayError) -> T) throws(RunwayError) -> T {
        do throws(RunwayError) {
            return try body()
        } catch {
            throw error.refined { $0.file = $0.file ?? file.relativePath }
        }
    }
}
