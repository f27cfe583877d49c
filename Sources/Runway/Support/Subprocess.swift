#if canImport(FoundationEssentials)
    import FoundationEssentials
    import Glibc
#else
    import Foundation
#endif

/// Runs a command with `posix_spawn` and `waitpid`, its output captured in temporary files: no pipes that a daemon
/// started by the command (`pg_ctl start`) could keep open, and no run loop.
enum Subprocess {
    struct Output {
        var status: Int32
        var standardOutput: Data
        var standardError: String
        var succeeded: Bool { status == 0 }
    }

    /// Runs `arguments` (looked up on `PATH`) in `directory`; standard input is `/dev/null`.
    static func run(_ arguments: [String], in directory: String? = nil) throws(RunwayError) -> Output {
        let temporary = FileManager.default.temporaryDirectory
        let out = temporary.appendingPathComponent("runway-out-\(UUID().uuidString)").path
        let err = temporary.appendingPathComponent("runway-err-\(UUID().uuidString)").path
        defer {
            try? FileManager.default.removeItem(atPath: out)
            try? FileManager.default.removeItem(atPath: err)
        }
        // sh does the redirections and the chdir; the command and its arguments are passed as "$@", never parsed.
        let script =
            (directory.map { "cd \(quote($0)) || exit 127; " } ?? "")
            + "exec </dev/null >\(quote(out)) 2>\(quote(err)); exec \"$@\""
        let argv = ["/bin/sh", "-c", script, "sh"] + arguments
        let cArguments = argv.map { strdup($0) } + [nil]
        defer { cArguments.forEach { free($0) } }
        var pid: pid_t = 0
        let spawned = posix_spawn(&pid, "/bin/sh", nil, nil, cArguments, environ)
        guard spawned == 0 else {
            throw RunwayError(.configuration, "Unable to run \(arguments.first ?? "") (posix_spawn error \(spawned))")
        }
        var status: Int32 = 0
        while waitpid(pid, &status, 0) == -1 && errno == EINTR {}
        let exitStatus: Int32 = status & 0x7f == 0 ? (status >> 8) & 0xff : 128 + (status & 0x7f)
        return Output(
            status: exitStatus, standardOutput: FileManager.default.contents(atPath: out) ?? Data(),
            standardError: (try? String(contentsOfFile: err, encoding: .utf8)) ?? "")
    }

    /// Single-quotes a word for sh.
    static func quote(_ word: String) -> String { "'" + word.replacingEvery("'", with: "'\\''") + "'" }
}
