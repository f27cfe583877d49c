import Foundation

#if FUZZING
    import CLibFuzzer
#endif

// The entry point of the fuzz harness.
//
// Built by `scripts/fuzz.sh` with `-sanitize=fuzzer,address -DFUZZING`, `main` hands control to libFuzzer's
// `LLVMFuzzerRunDriver`, which calls `LLVMFuzzerTestOneInput` with generated inputs for the target named by
// `RUNWAY_FUZZ_TARGET`. (libFuzzer's own `main` cannot be used: SwiftPM links every executable with
// `--defsym main=<module>_main`, so the module must define its entry point itself.)
//
// In a plain `swift build` it is an ordinary executable that replays the committed seed corpus once through every
// target (or the ones named), so the harness and its invariants are exercised without libFuzzer:
//
//     swift run RunwayFuzz [--corpus Fuzz/corpus] [target ...]

/// The target `LLVMFuzzerTestOneInput` runs, chosen by `RUNWAY_FUZZ_TARGET` when the process starts.
let selectedTarget: FuzzTarget? = ProcessInfo.processInfo.environment["RUNWAY_FUZZ_TARGET"].flatMap {
    FuzzTarget.named($0)
}

/// libFuzzer's callback: runs the selected target on one input. Never fails by returning: a broken invariant
/// stops the process with `fatalError`, which libFuzzer records as a crash.
@_cdecl("LLVMFuzzerTestOneInput")
public func fuzzOneInput(_ data: UnsafePointer<UInt8>?, _ size: Int) -> CInt {
    guard let target = selectedTarget else { return 0 }
    let bytes = data.map { Array(UnsafeBufferPointer(start: $0, count: size)) } ?? []
    target.run(bytes)
    return 0
}

@main
struct RunwayFuzz {
    static func main() {
        #if FUZZING
            guard selectedTarget != nil else {
                FileHandle.standardError.write(
                    Data(
                        ("RunwayFuzz: set RUNWAY_FUZZ_TARGET to one of: "
                            + FuzzTarget.all.map(\.name).joined(separator: ", ") + "\n").utf8))
                exit(2)
            }
            var argc = CommandLine.argc
            var argv: UnsafeMutablePointer<UnsafeMutablePointer<CChar>?>? = CommandLine.unsafeArgv
            exit(LLVMFuzzerRunDriver(&argc, &argv, fuzzOneInput))
        #else
            exit(replay(arguments: Array(CommandLine.arguments.dropFirst())))
        #endif
    }

    /// Runs every file of `<corpus>/<target>/` through its target once; returns the exit status.
    static func replay(arguments: [String]) -> Int32 {
        var arguments = arguments
        var corpus = defaultCorpus()
        if let flag = arguments.firstIndex(of: "--corpus"), flag + 1 < arguments.count {
            corpus = arguments[flag + 1]
            arguments.removeSubrange(flag...(flag + 1))
        }
        var targets: [FuzzTarget] = []
        for name in arguments {
            guard let target = FuzzTarget.named(name) else {
                let names = FuzzTarget.all.map(\.name).joined(separator: ", ")
                print("RunwayFuzz: unknown target \(name); targets: \(names)")
                return 2
            }
            targets.append(target)
        }
        if targets.isEmpty { targets = FuzzTarget.all }
        var total = 0
        for target in targets {
            let directory = URL(fileURLWithPath: corpus).appendingPathComponent(target.name)
            let files = ((try? FileManager.default.contentsOfDirectory(atPath: directory.path)) ?? []).sorted()
            guard !files.isEmpty else {
                print("RunwayFuzz: no seed inputs in \(directory.path)")
                return 1
            }
            for file in files {
                guard let data = FileManager.default.contents(atPath: directory.appendingPathComponent(file).path)
                else {
                    print("RunwayFuzz: cannot read \(directory.appendingPathComponent(file).path)")
                    return 1
                }
                target.run(Array(data))
            }
            print("\(target.name): \(files.count) inputs, every invariant held")
            total += files.count
        }
        print("RunwayFuzz: replayed \(total) inputs through \(targets.count) targets")
        return 0
    }

    /// `Fuzz/corpus` of the working directory when it exists, else of the package this file belongs to.
    static func defaultCorpus() -> String {
        if FileManager.default.fileExists(atPath: "Fuzz/corpus") { return "Fuzz/corpus" }
        return URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent()
            .deletingLastPathComponent().appendingPathComponent("Fuzz/corpus").path
    }
}
