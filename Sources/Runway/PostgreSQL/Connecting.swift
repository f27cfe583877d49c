import CLibPQ
#if canImport(FoundationEssentials)
    import FoundationEssentials
    import Glibc
#else
    import Foundation
#endif

/// Stops connection attempts from another thread, at once: an attempt waits on libpq's socket and on this object's
/// pipe together, and ``interrupt()`` makes the pipe readable. Once interrupted, it stays interrupted.
///
/// The PostgreSQL layer's view of a cancelled run: whoever cancels (task cancellation, SIGTERM) calls ``interrupt()``.
final class ConnectionInterrupt: @unchecked Sendable {
    private let lock = Lock()
    private var interrupted = false
    /// Read and write ends, made when an attempt first waits (a run that never connects needs no pipe).
    private var wakePipe: (read: Int32, write: Int32)?

    deinit {
        if let wakePipe {
            close(wakePipe.read)
            close(wakePipe.write)
        }
    }

    /// Whether ``interrupt()`` was called.
    var isInterrupted: Bool { lock.withLock { interrupted } }

    /// Stops every connection attempt waiting on this object, and every later one. Idempotent, thread-safe.
    func interrupt() {
        lock.withLock {
            guard !interrupted else { return }
            interrupted = true
            if let wakePipe { Self.wake(wakePipe.write) }
        }
    }

    /// A descriptor that is readable once ``interrupt()`` was called; `nil` when no pipe could be made (out of file
    /// descriptors): the attempt then looks at ``isInterrupted`` every 100 ms instead.
    var descriptor: Int32? {
        lock.withLock {
            if wakePipe == nil {
                wakePipe = Self.makePipe()
                if interrupted, let wakePipe { Self.wake(wakePipe.write) }
            }
            return wakePipe?.read
        }
    }

    private static func makePipe() -> (read: Int32, write: Int32)? {
        var ends: [Int32] = [-1, -1]
        guard pipe(&ends) == 0 else { return nil }
        // Not inherited by child processes (git, pg_ctl); the one byte ever written never blocks.
        for end in ends { _ = fcntl(end, F_SETFD, FD_CLOEXEC) }
        _ = fcntl(ends[1], F_SETFL, fcntl(ends[1], F_GETFL) | O_NONBLOCK)
        return (ends[0], ends[1])
    }

    private static func wake(_ descriptor: Int32) {
        var byte: UInt8 = 1
        _ = write(descriptor, &byte, 1)
    }
}

// MARK: - Connecting

extension Connection {
    /// How an attempt ended, when it was not interrupted.
    enum Opening {
        /// A connection ready for queries (`CONNECTION_OK`).
        case connected(OpaquePointer)
        /// libpq's message (not yet scrubbed) for a connection that failed, and whether the server asked for a
        /// password none was given for (`PQconnectionNeedsPassword`); the handle is already finished.
        case failed(String, needsPassword: Bool)
    }

    /// Opens a connection with libpq's non-blocking API (`PQconnectStartParams`, then `PQconnectPoll` whenever
    /// poll(2) finds the socket ready), so that `interrupt` stops it at once: the half-open connection is finished
    /// and `.cancelled` thrown.
    ///
    /// libpq's `connect_timeout` is enforced here as its blocking `PQconnectdbParams` does: per address, `1` read as
    /// `2`, `0` or less for no limit; a timed-out address is given up and libpq goes on with the next address or
    /// host. While the TCP handshake is still pending, Runway shuts the socket down and libpq's own failover moves
    /// on (so addresses, hosts and `target_session_attrs` work exactly as libpq does them; the message says
    /// `timeout expired`). A server that accepted the connection but stays silent cannot be skipped inside libpq:
    /// the attempt starts again at the next host of the list, with the same parameters otherwise (the host's other
    /// addresses, and an earlier host in a `prefer-standby` second pass, are then not tried). Resolving a host name
    /// (`getaddrinfo`) still blocks and cannot be interrupted.
    static func open(_ parameters: [(String, String)], interrupt: ConnectionInterrupt?) throws(RunwayError) -> Opening {
        var attempt = parameters
        // `dbname` may hold a URI or conninfo string to expand; a restart passes libpq's expanded values.
        var expand: Int32 = 1
        // What libpq said about the hosts given up on before a restart.
        var earlier = ""
        while true {
            guard let connection = start(attempt, expandDatabaseName: expand) else {
                throw RunwayError(.connection, "Out of memory while connecting to PostgreSQL")
            }
            let outcome: Progress
            do { outcome = try drive(connection, interrupt: interrupt) } catch {
                PQfinish(connection)
                throw error
            }
            switch outcome {
            case .connected:
                return .connected(connection)
            case .failed(let message):
                let needsPassword = PQconnectionNeedsPassword(connection) == 1
                PQfinish(connection)
                return .failed(earlier + message, needsPassword: needsPassword)
            case .stalled(let message):
                let rest = parametersAfterCurrentHost(connection)
                PQfinish(connection)
                earlier += message
                guard let rest else { return .failed(earlier, needsPassword: false) }
                attempt = rest
                expand = 0
            }
        }
    }

    private enum Progress {
        case connected
        case failed(String)
        /// The server accepted the connection and said nothing within `connect_timeout`.
        case stalled(String)
    }

    private static func start(_ parameters: [(String, String)], expandDatabaseName: Int32) -> OpaquePointer? {
        let keys = parameters.map { strdup($0.0) } + [nil]
        let values = parameters.map { strdup($0.1) } + [nil]
        defer {
            keys.forEach { free($0) }
            values.forEach { free($0) }
        }
        return keys.withUnsafeBufferPointer { keyBuffer in
            values.withUnsafeBufferPointer { valueBuffer in
                // Both arrays end with nil, so neither buffer is empty.
                keyBuffer.baseAddress!.withMemoryRebound(to: UnsafePointer<CChar>?.self, capacity: keys.count) { k in
                    valueBuffer.baseAddress!.withMemoryRebound(
                        to: UnsafePointer<CChar>?.self, capacity: values.count
                    ) { v in
                        // With expand_dbname = 1 a `dbname` holding a URI or conninfo string is expanded; later
                        // keywords override what it set.
                        PQconnectStartParams(k, v, expandDatabaseName)
                    }
                }
            }
        }
    }

    /// Runs libpq's connection state machine until it connects, fails, stalls on a silent server or is interrupted.
    private static func drive(_ connection: OpaquePointer, interrupt: ConnectionInterrupt?) throws(RunwayError)
        -> Progress
    {
        // Where Runway shut a socket down (libpq then reports a reset): offsets into libpq's message.
        var cut: [Int] = []
        guard PQstatus(connection) != CONNECTION_BAD else { return .failed(message(connection, cut: cut)) }
        let timeout = try connectTimeout(connection)
        // As libpq: before the first PQconnectPoll, wait as if it had asked for writing.
        var polling = PGRES_POLLING_WRITING
        var address: String?
        var deadline: ContinuousClock.Instant?
        while true {
            switch polling {
            case PGRES_POLLING_OK: return .connected
            case PGRES_POLLING_FAILED: return .failed(message(connection, cut: cut))
            default: break
            }
            if let timeout {
                // A new address or host (libpq moved on by itself) gets its own time.
                let current = [PQhost(connection), PQport(connection), PQhostaddr(connection)]
                    .map { $0.map { String(cString: $0) } ?? "" }.joined(separator: " ")
                if deadline == nil || current != address {
                    address = current
                    deadline = .now + timeout
                }
            }
            // PQsocket is read anew each time: libpq opens a new socket for each address it tries.
            let writing = polling != PGRES_POLLING_READING
            switch try wait(PQsocket(connection), writing: writing, until: deadline, interrupt: interrupt) {
            case .interrupted:
                throw RunwayError(.cancelled, "Cancelled: the operation was stopped while connecting to the database")
            case .ready:
                polling = PQconnectPoll(connection)
            case .timedOut where PQstatus(connection) == CONNECTION_STARTED:
                // The TCP handshake is still pending: a failed socket makes libpq record the failure and try the
                // next address or host, as its blocking connect does on timeout.
                shutdown(PQsocket(connection), Int32(SHUT_RDWR))
                cut.append(strlen(PQerrorMessage(connection)))
                polling = PQconnectPoll(connection)
                deadline = nil
            case .timedOut:
                // libpq has already written "connection to server at ... failed: " for this address.
                return .stalled(message(connection, cut: cut) + "timeout expired\n")
            }
        }
    }

    /// `connect_timeout` as libpq reads it: whole seconds, `nil` for none (0 or less), 1 read as 2.
    private static func connectTimeout(_ connection: OpaquePointer) throws(RunwayError) -> Duration? {
        guard let text = options(connection).last(where: { $0.0 == "connect_timeout" })?.1 else { return nil }
        guard let seconds = Int(text.trimmingSpaces()) else {
            throw RunwayError(
                .connection, "Invalid connect_timeout '\(text)': expected a whole number of seconds (0 for none)")
        }
        return seconds > 0 ? .seconds(max(seconds, 2)) : nil
    }

    private enum Wait { case ready, timedOut, interrupted }

    /// Waits until `socket` is ready for what libpq asked, the deadline passes or `interrupt` fires.
    private static func wait(
        _ socket: Int32, writing: Bool, until deadline: ContinuousClock.Instant?, interrupt: ConnectionInterrupt?
    ) throws(RunwayError) -> Wait {
        let wake = interrupt?.descriptor
        while true {
            if interrupt?.isInterrupted == true { return .interrupted }
            var milliseconds: Int32 = -1
            if let deadline {
                let remaining = deadline - .now
                if remaining <= .zero { return .timedOut }
                let (seconds, attoseconds) = remaining.components
                milliseconds = Int32(min(seconds, 3600) * 1000 + attoseconds / 1_000_000_000_000_000 + 1)
            }
            if interrupt != nil, wake == nil { milliseconds = milliseconds < 0 ? 100 : min(milliseconds, 100) }
            var descriptors = [pollfd(fd: socket, events: Int16(writing ? POLLOUT : POLLIN), revents: 0)]
            if let wake { descriptors.append(pollfd(fd: wake, events: Int16(POLLIN), revents: 0)) }
            let ready = poll(&descriptors, nfds_t(descriptors.count), milliseconds)
            if ready < 0 {
                if errno == EINTR { continue }
                throw RunwayError(
                    .connection, "Unable to wait for the database connection: poll() failed (errno \(errno))")
            }
            if descriptors.count > 1, descriptors[1].revents != 0 { return .interrupted }
            // Readable, writable, or an error or hang-up that PQconnectPoll will report.
            if descriptors[0].revents != 0 { return .ready }
        }
    }

    /// libpq's error message, where each failure Runway caused by shutting a socket down (reported as a reset by
    /// peer, with a hint to check the server) is told as what it was: a timeout.
    private static func message(_ connection: OpaquePointer, cut: [Int]) -> String {
        guard let text = PQerrorMessage(connection) else { return "" }
        var bytes = Array(
            UnsafeBufferPointer(
                start: UnsafeRawPointer(text).assumingMemoryBound(to: UInt8.self),
                count: strlen(text)))
        let reset = Array(String(cString: strerror(ECONNRESET)).utf8) + [UInt8(ascii: "\n")]
        for offset in cut.sorted(by: >) where offset < bytes.count && bytes[offset...].starts(with: reset) {
            var end = offset + reset.count
            // libpq's hint line ("\tIs the server running on that host...?") goes too.
            if end < bytes.count, bytes[end] == UInt8(ascii: "\t") {
                end = (bytes[end...].firstIndex(of: UInt8(ascii: "\n")) ?? bytes.count - 1) + 1
            }
            bytes.replaceSubrange(offset..<end, with: Array("timeout expired\n".utf8))
        }
        return String(decoding: bytes, as: UTF8.self)
    }

    /// The options libpq is using for `connection` (`PQconninfo`: a URI in `dbname` already expanded, defaults from
    /// `PG*` variables filled in), the unset ones left out.
    private static func options(_ connection: OpaquePointer) -> [(String, String)] {
        guard let list = PQconninfo(connection) else { return [] }
        defer { PQconninfoFree(list) }
        var options: [(String, String)] = []
        var option = list
        while let keyword = option.pointee.keyword {
            if let value = option.pointee.val { options.append((String(cString: keyword), String(cString: value))) }
            option += 1
        }
        return options
    }

    /// The options of `connection` with its `host`, `hostaddr` and `port` lists cut after the entry it is connecting
    /// to, or `nil` when that is the last (or cannot be told).
    private static func parametersAfterCurrentHost(_ connection: OpaquePointer) -> [(String, String)]? {
        var options = options(connection)
        func list(_ keyword: String) -> [Substring] {
            guard let value = options.last(where: { $0.0 == keyword })?.1, !value.isEmpty else { return [] }
            return value.split(separator: ",", omittingEmptySubsequences: false)
        }
        let hosts = list("host")
        let addresses = list("hostaddr")
        let ports = list("port")
        // libpq: a hostaddr list decides how many entries there are, else the host list.
        let count = addresses.isEmpty ? hosts.count : addresses.count
        let host = PQhost(connection).map { String(cString: $0) } ?? ""
        let port = PQport(connection).map { String(cString: $0) } ?? ""
        // PQhost is the entry's host, or its hostaddr when it has no host.
        let current = (0..<count).first { index in
            let name =
                index < hosts.count && !hosts[index].isEmpty
                ? hosts[index] : index < addresses.count ? addresses[index] : ""
            let entryPort = ports.count == count ? ports[index] : ports.count == 1 ? ports[0] : ""
            return (name.isEmpty || name == host) && (entryPort.isEmpty || entryPort == port)
        }
        guard let current, current + 1 < count else { return nil }
        for keyword in ["host", "hostaddr", "port"] {
            let values = list(keyword)
            guard values.count == count, let index = options.lastIndex(where: { $0.0 == keyword }) else { continue }
            options[index].1 = values[(current + 1)...].joined(separator: ",")
        }
        return options
    }
}
