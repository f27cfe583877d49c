#if canImport(FoundationEssentials)
    import FoundationEssentials
    import Glibc
#else
    import Foundation
#endif

/// Where a script's bytes come from, read again for each pass over it: the file itself, read in pieces with
/// `read(2)` (never mapped: a file that shrinks under a mapping kills the process with SIGBUS), or bytes in memory
/// (after placeholder replacement, or decoded from another encoding).
enum ScriptSource: Sendable {
    /// A UTF-8 file; `checksum` is what the scan computed, and the bytes read must give it again.
    case file(path: String, relativePath: String, stamp: FileStamp, checksum: Checksum)
    /// Bytes in memory (no byte order mark).
    case memory(ScriptBytes, relativePath: String)

    var relativePath: String {
        switch self {
        case .file(_, let relativePath, _, _), .memory(_, let relativePath): relativePath
        }
    }

    /// Whether `pattern` occurs in the bytes (read piece by piece).
    func contains(_ pattern: String) throws(RunwayError) -> Bool {
        let needle = Array(pattern.utf8)
        guard !needle.isEmpty else { return false }
        if case .memory(let bytes, _) = self { return bytes.contains(pattern) }
        let reader = try ScriptReader(self)
        let piece = 1 << 20
        let buffer = UnsafeMutableBufferPointer<UInt8>.allocate(capacity: piece + needle.count)
        defer { buffer.deallocate() }
        var carried = 0
        while true {
            let got = try reader.read(into: UnsafeMutableBufferPointer(rebasing: buffer[carried..<(carried + piece)]))
            if got == 0 { return false }
            let available = carried + got
            let found = needle.withUnsafeBufferPointer {
                ByteSearch.firstIndex(of: $0, in: UnsafeBufferPointer(rebasing: buffer[..<available]), from: 0)
            }
            if found != nil { return true }
            // A match may straddle two pieces: keep the tail that could start one.
            carried = min(needle.count - 1, available)
            buffer.baseAddress!.update(from: buffer.baseAddress! + available - carried, count: carried)
        }
    }

    /// A new pass over the statements.
    func statements(serverMajorVersion: Int, standardConformingStrings: Bool) throws(RunwayError) -> StatementStream {
        try StatementStream(
            reader: try ScriptReader(self), serverMajorVersion: serverMajorVersion,
            standardConformingStrings: standardConformingStrings)
    }
}

/// Reads a ``ScriptSource`` front to back in pieces. For a file: skips a UTF-8 byte order mark, refuses a file that
/// changed since the scan (other size or modification time when opened, fewer or more bytes than announced, or
/// another checksum at the end), so that what runs is exactly what was checksummed.
final class ScriptReader {
    private let source: ScriptSource
    private var file: OpenFile?
    private var memoryOffset = 0
    private var total = 0
    private var checksum = Checksum.Accumulator()
    private var first = true

    init(_ source: ScriptSource) throws(RunwayError) {
        self.source = source
        if case .file(let path, let relativePath, let stamp, _) = source {
            let handle = try ScriptFileHandle(path: path, relativePath: relativePath)
            guard handle.stamp == stamp else { throw Self.changed(relativePath) }
            file = OpenFile(handle)
        }
    }

    /// Fills `buffer` from the start with the next bytes; returns how many (0 at the end).
    func read(into buffer: UnsafeMutableBufferPointer<UInt8>) throws(RunwayError) -> Int {
        switch source {
        case .memory(let bytes, _):
            let count = min(buffer.count, bytes.bytes.count - memoryOffset)
            guard count > 0 else { return 0 }
            _ = UnsafeMutableBufferPointer(rebasing: buffer[..<count])
                .initialize(from: UnsafeBufferPointer(rebasing: bytes.bytes[memoryOffset..<(memoryOffset + count)]))
            memoryOffset += count
            return count
        case .file(let path, let relativePath, let stamp, let expected):
            guard let file, let base = buffer.baseAddress, buffer.count > 0 else { return 0 }
            var got = 0
            while true {
                #if canImport(Glibc)
                    got = Glibc.read(file.handle.descriptor, base, buffer.count)
                #else
                    got = Foundation.read(file.handle.descriptor, base, buffer.count)
                #endif
                if got < 0, errno == EINTR { continue }
                break
            }
            if got < 0 {
                let reason = String(cString: strerror(errno))
                throw .invalidMigration("Unable to read migration file \(path): \(reason)", file: relativePath)
            }
            total += got
            if got == 0 || total > stamp.size {
                // At the end: exactly the announced bytes, with the scanned checksum.
                if total != stamp.size || checksum.checksum != expected { throw Self.changed(relativePath) }
                return 0
            }
            var piece = UnsafeMutableBufferPointer(rebasing: buffer[..<got])
            if first {
                first = false
                if piece.starts(with: ScriptBytes.byteOrderMark) {
                    let rest = got - ScriptBytes.byteOrderMark.count
                    if rest > 0 {
                        (base).update(from: base + ScriptBytes.byteOrderMark.count, count: rest)
                    }
                    piece = UnsafeMutableBufferPointer(rebasing: buffer[..<rest])
                    if rest == 0 { return try read(into: buffer) }
                }
            }
            checksum.update(UnsafeBufferPointer(piece))
            return piece.count
        }
    }

    /// Owns the open file.
    private final class OpenFile {
        let handle: ScriptFileHandle
        init(_ handle: consuming ScriptFileHandle) { self.handle = handle }
    }

    private static func changed(_ relativePath: String) -> RunwayError {
        .invalidMigration(
            "Migration \(relativePath) changed on disk while Runway was reading it (it no longer matches the checksum "
                + "computed when it was scanned); nothing more of it is run. Run the command again once the files "
                + "are stable", file: relativePath)
    }
}

/// The statements of a script, split one at a time from a window of its bytes, so that a script of any size is
/// split and run in bounded memory: the window holds the statement being split (it grows only for a statement
/// larger than itself), and `COPY ... FROM STDIN` data is handed on piece by piece (``copyData(_:)``).
///
/// Splitting is exactly ``SQLScriptParser``'s: a statement that reaches the end of the window before the end of the
/// script is split again from its start once more bytes are in.
package final class StatementStream {
    private let reader: ScriptReader
    private var window: UnsafeMutableBufferPointer<UInt8>
    /// Bytes of `window` in use; those before `snapshot.pos` are consumed.
    private var filled = 0
    private var finished = false
    private var snapshot = Scanner.Snapshot()
    private let serverMajorVersion: Int
    private let initialStandardStrings: Bool
    /// Whether the last statement returned was a `COPY ... FROM STDIN` whose data was not read yet.
    private var copyPending = false
    /// Whether `COPY` data ran to the end of the script without its `\.` line.
    private(set) var copyDataRanToEnd = false

    /// The window's size at first: the whole of a small script, and the piece size for large ones.
    package static let initialWindow = 1 << 20

    /// - Parameter window: the window's first size in bytes (small ones exercise the re-splitting in tests).
    init(
        reader: ScriptReader, serverMajorVersion: Int, standardConformingStrings: Bool,
        window: Int = initialWindow
    ) throws(RunwayError) {
        self.reader = reader
        self.serverMajorVersion = serverMajorVersion
        initialStandardStrings = standardConformingStrings
        snapshot.standardStrings = standardConformingStrings
        self.window = .allocate(capacity: max(1, window))
    }

    deinit { window.deallocate() }

    /// The line of a `/*` comment that is never closed (known once the stream has ended).
    var unclosedCommentLine: Int? { snapshot.unclosedCommentLine }

    /// The literal or quoted identifier left open at the end of the script (known once the stream has ended).
    var unterminated: Scanner.Unterminated? { snapshot.unterminated }

    /// Told the `--` comments and the lines holding code of each piece of the script split so far, in order
    /// (before the statement they precede is returned); the linter reads its disable comments from them.
    var lines: ((_ comments: [(line: Int, text: String)], _ code: [Int]) -> Void)?

    /// The next statement, or `nil` at the end of the script. The data of a `COPY` statement returned before is
    /// skipped when ``copyData(_:)`` was not called.
    func next() throws(RunwayError) -> SQLStatement? {
        if copyPending { try copyData { _ throws(RunwayError) in } }
        while true {
            let bytes = UnsafeBufferPointer(rebasing: window[..<filled])
            var scanner = Scanner(bytes: bytes, resuming: snapshot, isFinal: finished)
            scanner.tracksLines = lines != nil
            var splitter = StatementSplitter(
                scanner: scanner, serverMajorVersion: serverMajorVersion,
                initialStandardStrings: initialStandardStrings)
            let step = try splitter.step()
            if case .needsMore = step {
                try readMore()
                continue
            }
            snapshot = splitter.scanner.snapshot
            lines?(splitter.scanner.lineComments, splitter.scanner.codeLines)
            guard case .statement(let statement) = step else { return nil }
            copyPending = statement.copyDataFollows
            return statement
        }
    }

    /// Hands the data of the `COPY ... FROM STDIN` statement just returned to `sink`, piece by piece: the lines after
    /// the statement's own line, up to (not including) the line whose trimmed content is `\.` (or the end of the
    /// script), with their line endings.
    func copyData(_ sink: (UnsafeBufferPointer<UInt8>) throws(RunwayError) -> Void) throws(RunwayError) {
        guard copyPending else { return }
        copyPending = false
        // The rest of the statement's line is not data.
        _ = try nextLine()
        copyDataRanToEnd = true
        while let line = try nextLine() {
            let content = Self.javaTrimmed(UnsafeBufferPointer(rebasing: window[line]))
            if content.count == 2, content[content.startIndex] == 0x5C, content[content.startIndex + 1] == 0x2E {
                copyDataRanToEnd = false
                return
            }
            // Whole lines at a time: as many as the window holds.
            var end = line.endIndex
            while end < filled, let lineEnd = lineEnd(from: end, requireComplete: true) {
                let candidate = UnsafeBufferPointer(rebasing: window[end..<lineEnd])
                let trimmed = Self.javaTrimmed(candidate)
                if trimmed.count == 2, trimmed[trimmed.startIndex] == 0x5C, trimmed[trimmed.startIndex + 1] == 0x2E {
                    break
                }
                end = lineEnd
            }
            try sink(UnsafeBufferPointer(rebasing: window[line.startIndex..<end]))
            consume(upTo: end)
        }
        if !finished { copyDataRanToEnd = false }
    }

    // MARK: - The window

    /// The next whole line (with its line feed) from the consumed position, reading more as needed; consumes it.
    /// `nil` at the end of the script.
    private func nextLine() throws(RunwayError) -> Range<Int>? {
        while true {
            if let end = lineEnd(from: snapshot.pos, requireComplete: !finished) {
                let line = snapshot.pos..<end
                consume(upTo: end)
                return line
            }
            if finished { return nil }
            try readMore()
        }
    }

    /// The end of the line starting at `start` (after its line feed); without one, the end of the bytes when
    /// `requireComplete` is false, else `nil`. `nil` when nothing is left.
    private func lineEnd(from start: Int, requireComplete: Bool) -> Int? {
        guard start < filled else { return nil }
        if let found = memchr(window.baseAddress! + start, 0x0A, filled - start) {
            return UnsafeMutablePointer(found.assumingMemoryBound(to: UInt8.self)) - window.baseAddress! + 1
        }
        return requireComplete ? nil : filled
    }

    /// Moves the consumed position to `end`, counting lines.
    private func consume(upTo end: Int) {
        var scanner = Scanner(
            bytes: UnsafeBufferPointer(rebasing: window[..<filled]), resuming: snapshot, isFinal: finished)
        scanner.skip(end - snapshot.pos)
        snapshot = scanner.snapshot
    }

    /// Drops the consumed bytes, then reads more after the rest (growing the window when the rest fills it).
    private func readMore() throws(RunwayError) {
        let consumed = snapshot.pos
        if consumed > 0 {
            let rest = filled - consumed
            if rest > 0 { window.baseAddress!.update(from: window.baseAddress! + consumed, count: rest) }
            filled = rest
            snapshot.pos = 0
        }
        if filled == window.count {
            let larger = UnsafeMutableBufferPointer<UInt8>.allocate(capacity: window.count * 2)
            larger.baseAddress!.initialize(from: window.baseAddress!, count: filled)
            window.deallocate()
            window = larger
        }
        let got = try reader.read(into: UnsafeMutableBufferPointer(rebasing: window[filled...]))
        if got == 0 { finished = true }
        filled += got
    }

    /// Java's `String.trim()`: without leading and trailing code points ≤ U+0020.
    private static func javaTrimmed(_ line: UnsafeBufferPointer<UInt8>) -> Slice<UnsafeBufferPointer<UInt8>> {
        var start = line.startIndex
        var end = line.endIndex
        while start < end, line[start] <= 0x20 { start += 1 }
        while end > start, line[end - 1] <= 0x20 { end -= 1 }
        return line[start..<end]
    }
}

extension StatementStream {
    /// Every statement, for small scripts (callbacks, tests); `COPY` data is copied into ``SQLStatement/copyData``.
    func all() throws(RunwayError) -> [SQLStatement] {
        var statements: [SQLStatement] = []
        while var statement = try next() {
            if statement.copyDataFollows {
                var data: [UInt8] = []
                try copyData { piece throws(RunwayError) in data.append(contentsOf: piece) }
                statement.copyData = String(decoding: data, as: UTF8.self)
                statement.copyDataFollows = false
            }
            statements.append(statement)
        }
        return statements
    }
}

/// What a pass over a script tells before any of it runs.
struct ScriptOutline: Sendable {
    /// How many statements it has.
    var count = 0
    /// Whether every statement may run in a transaction.
    var canExecuteInTransaction = true
    /// The statements behind Flyway's "mixed" error, when the script holds both kinds.
    var mixed: MixedTransactionality?
    /// Whether a statement's split depends on `standard_conforming_strings`.
    var dependsOnStandardStrings = false
    /// The line of a `/*` comment that is never closed.
    var unclosedCommentLine: Int?
    /// The literal, quoted identifier or block comment left open at the end (it swallows the rest of the script).
    var unterminated: Scanner.Unterminated?
    /// Whether the last statement's `COPY` data has no `\.` line and runs to the end of the script.
    var copyDataRunsToEnd = false

    /// Splits the whole script once (in bounded memory), keeping only what decides how it runs.
    init(_ stream: StatementStream) throws(RunwayError) {
        var firstTransactional: SQLStatement?
        var firstNonTransactional: SQLStatement?
        while let statement = try stream.next() {
            count += 1
            if statement.canExecuteInTransaction {
                if firstTransactional == nil { firstTransactional = statement }
            } else {
                canExecuteInTransaction = false
                if firstNonTransactional == nil { firstNonTransactional = statement }
            }
            if statement.splitWithStandardStrings != nil { dependsOnStandardStrings = true }
            if mixed == nil, let firstTransactional, let firstNonTransactional {
                mixed = [firstTransactional, firstNonTransactional].mixedTransactionality
            }
        }
        unclosedCommentLine = stream.unclosedCommentLine
        copyDataRunsToEnd = stream.copyDataRanToEnd
        unterminated =
            stream.unterminated
            ?? unclosedCommentLine.map { Scanner.Unterminated(construct: "block comment", line: $0) }
    }
}

extension SQLScriptParser {
    /// How a script ends, as `validate --offline` reads it: the literal, quoted identifier or block comment it leaves
    /// open (what, and the line it starts on), and whether `COPY` data runs to its end without a `\.` line (both
    /// swallow whatever follows).
    package struct Ending: Equatable {
        package var unterminated: (construct: String, line: Int)?
        package var copyDataRunsToEnd: Bool

        package static func == (lhs: Ending, rhs: Ending) -> Bool {
            lhs.unterminated?.construct == rhs.unterminated?.construct
                && lhs.unterminated?.line == rhs.unterminated?.line
                && lhs.copyDataRunsToEnd == rhs.copyDataRunsToEnd
        }
    }

    /// How `text` ends (``Ending``), split from a window of `window` bytes, as a file is read.
    ///
    /// - Throws: ``RunwayError`` when the script cannot be split (an unfinished `BEGIN ATOMIC` block).
    package static func ending(of text: String, window: Int = StatementStream.initialWindow) throws(RunwayError)
        -> Ending
    {
        let stream = try StatementStream(
            reader: try ScriptReader(.memory(.holding(text), relativePath: "")), serverMajorVersion: 15,
            standardConformingStrings: true, window: window)
        let outline = try ScriptOutline(stream)
        return Ending(
            unterminated: outline.unterminated.map { ($0.construct, $0.line) },
            copyDataRunsToEnd: outline.copyDataRunsToEnd)
    }
}
