// What the benchmark tools (runway-bench-floor, runway-bench) share: no Foundation and no Runway, so the floors
// measure libpq and zlib alone.

#if canImport(Glibc)
    @preconcurrency import Glibc
#elseif canImport(Musl)
    @preconcurrency import Musl
#endif

/// Prints `<tool>: message` to stderr and exits with status 2.
public func fail(_ message: String) -> Never {
    let tool = CommandLine.arguments.first.map { $0.split(separator: "/").last.map(String.init) ?? $0 } ?? "bench"
    fputs("\(tool): \(message)\n", stderr)
    exit(2)
}

/// Seconds on the monotonic clock.
public func now() -> Double {
    var spec = timespec()
    clock_gettime(CLOCK_MONOTONIC, &spec)
    return Double(spec.tv_sec) + Double(spec.tv_nsec) / 1e9
}

/// Reads a whole file; with `nulTerminated`, followed by a NUL so it can go to libpq as a C string.
public func readFile(_ path: String, nulTerminated: Bool = false) -> [UInt8] {
    let fd = open(path, O_RDONLY)
    guard fd >= 0 else { fail("cannot open \(path): \(String(cString: strerror(errno)))") }
    defer { close(fd) }
    var info = stat()
    guard fstat(fd, &info) == 0 else { fail("cannot stat \(path)") }
    let size = Int(info.st_size)
    var bytes = [UInt8](repeating: 0, count: size + (nulTerminated ? 1 : 0))
    var done = 0
    while done < size {
        let n = bytes.withUnsafeMutableBytes { read(fd, $0.baseAddress! + done, size - done) }
        guard n > 0 else { fail("cannot read \(path)") }
        done += n
    }
    return bytes
}
