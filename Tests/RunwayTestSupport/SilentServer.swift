import Foundation

/// A TCP port on 127.0.0.1 where no PostgreSQL ever answers.
///
/// `.silent`: the connection is made and then nothing is said (a hung server, a proxy waiting for its backend); the
/// server takes the connections, reads nothing and writes nothing. `.unanswered`: the listener's backlog is kept
/// full, so the kernel drops a client's SYN and its TCP handshake never completes (an unreachable host).
package final class SilentServer: @unchecked Sendable {
    package enum Kind { case silent, unanswered }

    package let kind: Kind
    package let port: Int
    private let listener: Int32
    private let lock = NSLock()
    /// The connections that fill the backlog (`.unanswered`).
    private var fillers: [Int32] = []
    /// The connections taken (`.silent`).
    private var clients: [Int32] = []

    package init(_ kind: Kind = .silent) throws {
        self.kind = kind
        let listener = socket(AF_INET, Int32(SOCK_STREAM.rawValue), 0)
        self.listener = listener
        guard listener >= 0 else { throw TestFailure("socket() failed: errno \(errno)") }
        var address = sockaddr_in()
        address.sin_family = sa_family_t(AF_INET)
        address.sin_addr.s_addr = inet_addr("127.0.0.1")
        var length = socklen_t(MemoryLayout<sockaddr_in>.size)
        let bound = withUnsafeMutablePointer(to: &address) {
            $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { pointer in
                bind(listener, pointer, length) == 0 && getsockname(listener, pointer, &length) == 0
            }
        }
        // Linux queues one connection more than the backlog: with 0, one filler fills it.
        guard bound, listen(listener, kind == .silent ? 16 : 0) == 0 else {
            close(listener)
            throw TestFailure("could not listen on 127.0.0.1: errno \(errno)")
        }
        port = Int(UInt16(bigEndian: address.sin_port))
        _ = fcntl(listener, F_SETFL, fcntl(listener, F_GETFL) | O_NONBLOCK)
        if kind == .unanswered { try fillBacklog(address) }
    }

    deinit {
        for socket in fillers + clients { close(socket) }
        close(listener)
    }

    /// Connects to the listener until one connection stays in the TCP handshake: the backlog is then full.
    private func fillBacklog(_ address: sockaddr_in) throws {
        for _ in 0..<8 {
            let filler = socket(AF_INET, Int32(SOCK_STREAM.rawValue), 0)
            guard filler >= 0 else { throw TestFailure("socket() failed: errno \(errno)") }
            fillers.append(filler)
            _ = fcntl(filler, F_SETFL, fcntl(filler, F_GETFL) | O_NONBLOCK)
            var target = address
            _ = withUnsafePointer(to: &target) {
                $0.withMemoryRebound(to: sockaddr.self, capacity: 1) {
                    connect(filler, $0, socklen_t(MemoryLayout<sockaddr_in>.size))
                }
            }
            var descriptor = pollfd(fd: filler, events: Int16(POLLOUT), revents: 0)
            if poll(&descriptor, 1, 300) == 0 { return }
        }
        throw TestFailure("the listener's backlog never filled up: every connection was completed")
    }

    /// Whether a client has connected (`.silent`; the connections waiting are taken) or is sending SYNs (`.unanswered`).
    package var hasClient: Bool {
        lock.withLock {
            switch kind {
            case .silent:
                acceptWaiting()
                return !clients.isEmpty
            case .unanswered:
                return handshakesPending() > 0
            }
        }
    }

    /// Whether every client has closed its end (`.silent`: what it sent is read and dropped) or stopped its handshake
    /// (`.unanswered`).
    package var clientsClosed: Bool {
        lock.withLock {
            switch kind {
            case .silent:
                acceptWaiting()
                return clients.allSatisfy { client in
                    var buffer = [UInt8](repeating: 0, count: 256)
                    while true {
                        let count = read(client, &buffer, buffer.count)
                        if count == 0 { return true }
                        if count < 0 { return errno != EAGAIN && errno != EWOULDBLOCK && errno != EINTR }
                    }
                }
            case .unanswered:
                return handshakesPending() == 0
            }
        }
    }

    private func acceptWaiting() {
        while true {
            let client = accept(listener, nil, nil)
            guard client >= 0 else { return }
            _ = fcntl(client, F_SETFL, fcntl(client, F_GETFL) | O_NONBLOCK)
            clients.append(client)
        }
    }

    /// Sockets of this machine in SYN-SENT to the port (`/proc/net/tcp`), other than the backlog fillers.
    private func handshakesPending() -> Int {
        let fillerPorts = Set(
            fillers.map { filler -> Int in
                var address = sockaddr_in()
                var length = socklen_t(MemoryLayout<sockaddr_in>.size)
                _ = withUnsafeMutablePointer(to: &address) {
                    $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { getsockname(filler, $0, &length) }
                }
                return Int(UInt16(bigEndian: address.sin_port))
            })
        let table = Self.contents(of: "/proc/net/tcp")
        // "  sl  local_address rem_address   st ...": addresses as hex "0100007F:1F90"; state 02 is SYN-SENT.
        return table.split(separator: "\n").dropFirst().filter { line in
            let fields = line.split(separator: " ")
            guard fields.count > 3, fields[3] == "02",
                let local = fields[1].split(separator: ":").last.flatMap({ Int($0, radix: 16) }),
                let remote = fields[2].split(separator: ":").last.flatMap({ Int($0, radix: 16) })
            else { return false }
            return remote == port && !fillerPorts.contains(local)
        }.count
    }

    /// A whole `/proc` file (its size reads as 0, so it is read until end-of-file).
    private static func contents(of path: String) -> String {
        let file = open(path, O_RDONLY)
        guard file >= 0 else { return "" }
        defer { close(file) }
        var bytes: [UInt8] = []
        var buffer = [UInt8](repeating: 0, count: 65536)
        while case let count = read(file, &buffer, buffer.count), count > 0 {
            bytes += buffer[..<count]
        }
        return String(decoding: bytes, as: UTF8.self)
    }
}
