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
            let script = try script(of: file, session: session)
            let transactional =
                (file.config.executeInTransaction ?? configuration.executeInTransaction)
                && script.statements.canExecuteInTransaction
            logger.info(
                "Executing SQL callback: \(event) - \(description)\(transactional ? "" : " [non-transactional]")")
            func body() throws(RunwayError) {
                try session.restoreOriginalState()
                for statement in script.statements {
                    do throws(RunwayError) {
                        try session.work.execute(statement, of: script)
                    } catch {
                        var error = error
                        error.message = "Error while executing \(event) callback: \(error.message)"
                        error.file = file.relativePath
                        error.line = Self.line(of: statement, position: error.position)
                        error.statement = Self.shorten(statement.sql)
                        if error.code == .database { error.code = .migrationFailed }
                        throw error
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

    /// Reads, placeholder-replaces and splits a script, attributing errors to its file.
    func script(of file: ScannedFile, session: Session) throws(RunwayError) -> ParsedScript {
        do throws(RunwayError) {
            var source = try file.bytes()
            if file.config.placeholderReplacement ?? configuration.placeholderReplacement,
                source.contains(configuration.placeholderPrefix),
                let replaced = try replacer(for: session).forFile(file.relativePath).replacing(
                    in: source.bytes, file: file.relativePath)
            {
                source = ScriptBytes.holding(replaced)
            }
            let script = try SQLScriptParser.parse(source, serverMajorVersion: session.work.serverVersion / 10000)
            if let line = script.unclosedCommentLine {
                throw RunwayError(
                    .invalidMigration,
                    "Unterminated /* comment starting at line \(line) of \(file.relativePath): everything after it "
                        + "would be skipped without a word. Close the comment with */", line: line)
            }
            return script
        } catch {
            var error = error
            error.file = error.file ?? file.relativePath
            throw error
        }
    }
}
