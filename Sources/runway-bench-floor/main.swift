// runway-bench-floor: the floors of the benchmark suite (scripts/bench.sh) and its data generator.
//
// Deliberately built on libpq and zlib alone, without Foundation and without the Runway library, so that a floor
// pays only for what the work itself needs (a Swift process start, libpq, the server): anything Runway adds on top
// shows up in the ratio. Connection settings come from libpq's own PG* variables.
//
//   runway-bench-floor noop                   exit at once (the start-up of a Swift process linking libpq)
//   runway-bench-floor query [SQL [DIR]]      connect and run SQL (default `select 1`: the floor of a no-op
//                                             migrate); with DIR, also read every file in DIR and CRC-32 it
//                                             (the floor of validate/info: the history and the files)
//   runway-bench-floor exec FILE              send FILE as one multi-statement simple query (one round trip)
//   runway-bench-floor crc32 FILE             zlib CRC-32 of FILE: read in 1 MB chunks (cold: from the page cache)
//                                             and of the whole file in memory; prints bytes and seconds of each
//   runway-bench-floor copy-data ROWS         write ROWS lines of COPY text data (id, text, number) to stdout

import BenchSupport
@preconcurrency import CLibPQ
@preconcurrency import CZlib

#if canImport(Glibc)
    @preconcurrency import Glibc
#elseif canImport(Musl)
    @preconcurrency import Musl
#endif

func connect() -> OpaquePointer {
    guard let connection = PQconnectdb(""), PQstatus(connection) == CONNECTION_OK else {
        fail("connection failed")
    }
    return connection
}

func check(_ result: OpaquePointer?, _ connection: OpaquePointer, _ what: String) {
    let status = PQresultStatus(result)
    if status != PGRES_COMMAND_OK && status != PGRES_TUPLES_OK {
        fail("\(what) failed: \(String(cString: PQerrorMessage(connection)))")
    }
    PQclear(result)
}

let arguments = CommandLine.arguments
guard arguments.count >= 2 else { fail("usage: runway-bench-floor noop|query|exec|crc32|copy-data ...") }

switch arguments[1] {
case "noop":
    break

case "query":
    let sql = arguments.count > 2 ? arguments[2] : "select 1"
    let connection = connect()
    check(PQexec(connection, sql), connection, sql)
    PQfinish(connection)
    if arguments.count > 3 {
        guard let directory = opendir(arguments[3]) else { fail("cannot open \(arguments[3])") }
        var files = 0
        var crc = crc32(0, nil, 0)
        while let entry = readdir(directory) {
            let name = withUnsafeBytes(of: entry.pointee.d_name) { String(cString: $0.bindMemory(to: CChar.self).baseAddress!) }
            if name.hasPrefix(".") { continue }
            let bytes = readFile(arguments[3] + "/" + name, nulTerminated: false)
            crc = bytes.withUnsafeBufferPointer { crc32(crc, $0.baseAddress, uInt($0.count)) }
            files += 1
        }
        closedir(directory)
        if files == 0 { fail("no files in \(arguments[3])") }
    }

case "exec":
    guard arguments.count == 3 else { fail("usage: runway-bench-floor exec FILE") }
    let sql = readFile(arguments[2], nulTerminated: true)
    let connection = connect()
    // PQexec returns the last result; an error stops the rest of a multi-statement query, so it is the last one.
    let result = sql.withUnsafeBufferPointer { buffer in
        buffer.withMemoryRebound(to: CChar.self) { PQexec(connection, $0.baseAddress) }
    }
    check(result, connection, "the script")
    PQfinish(connection)

case "crc32":
    guard arguments.count == 3 else { fail("usage: runway-bench-floor crc32 FILE") }
    // Streaming: read(2) 1 MB at a time and feed zlib, as a streaming checksum would.
    let fd = open(arguments[2], O_RDONLY)
    guard fd >= 0 else { fail("cannot open \(arguments[2])") }
    var chunk = [UInt8](repeating: 0, count: 1 << 20)
    var crc = crc32(0, nil, 0)
    var total = 0
    let streamStart = now()
    while true {
        let n = chunk.withUnsafeMutableBytes { read(fd, $0.baseAddress!, $0.count) }
        if n < 0 { fail("cannot read \(arguments[2])") }
        if n == 0 { break }
        crc = chunk.withUnsafeBufferPointer { crc32(crc, $0.baseAddress, uInt(n)) }
        total += n
    }
    let streamSeconds = now() - streamStart
    close(fd)
    // In memory: one call over the whole buffer (the algorithm's own speed, no I/O).
    let bytes = readFile(arguments[2], nulTerminated: false)
    let memoryStart = now()
    let memoryCRC = bytes.withUnsafeBufferPointer { crc32(0, $0.baseAddress, uInt($0.count)) }
    let memorySeconds = now() - memoryStart
    guard memoryCRC == crc else { fail("CRC mismatch") }
    print("streamed \(total) \(streamSeconds)")
    print("memory \(bytes.count) \(memorySeconds)")

case "copy-data":
    // ROWS lines of tab-separated text, ~100 bytes each, written through a 1 MB buffer: 500 MB in about a second.
    guard arguments.count == 3, let rows = Int(arguments[2]) else { fail("usage: runway-bench-floor copy-data ROWS") }
    let filler = Array("the quick brown fox jumps over the lazy dog, again and again and again".utf8)
    var buffer: [UInt8] = []
    buffer.reserveCapacity(1 << 20 + 256)
    func flush() {
        var offset = 0
        while offset < buffer.count {
            let n = buffer.withUnsafeBytes { write(1, $0.baseAddress! + offset, $0.count - offset) }
            guard n > 0 else { fail("write failed") }
            offset += n
        }
        buffer.removeAll(keepingCapacity: true)
    }
    for row in 1...max(rows, 1) {
        buffer.append(contentsOf: String(row).utf8)
        buffer.append(0x09)
        buffer.append(contentsOf: filler)
        buffer.append(0x09)
        buffer.append(contentsOf: String(row % 1000).utf8)
        buffer.append(0x0A)
        if buffer.count >= 1 << 20 { flush() }
    }
    flush()

default:
    fail("unknown mode \(arguments[1])")
}
