// runway-bench: library-level measurements of the benchmark suite (scripts/bench.sh) that no CLI command isolates.
//
//   runway-bench checksum FILE   Runway's Flyway checksum of FILE; prints "<mode> <bytes> <seconds>" lines:
//                                read (the file into memory), memory (Checksum over the in-memory bytes:
//                                UTF-8 validation, CR/LF removal and CRC-32)
//
// The floors (zlib's CRC-32 alone, the read itself) are in runway-bench-floor, which does not link Runway.

import BenchSupport
import Runway

#if canImport(Glibc)
    @preconcurrency import Glibc
#elseif canImport(Musl)
    @preconcurrency import Musl
#endif

let arguments = CommandLine.arguments
guard arguments.count == 3, arguments[1] == "checksum" else { fail("usage: runway-bench checksum FILE") }
let readStart = now()
let bytes = readFile(arguments[2])
let readSeconds = now() - readStart
let start = now()
guard let checksum = Checksum(utf8Bytes: bytes) else { fail("not valid UTF-8") }
let seconds = now() - start
print("read \(bytes.count) \(readSeconds)")
print("memory \(bytes.count) \(seconds)")
print("checksum \(checksum.value)")
