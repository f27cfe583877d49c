import Foundation
import Testing
import RunwayTestSupport

// Found by scripts/test-asan.sh (a SEGV report from a `migrate` that its hostile-input test expected to fail with
// exit 1, which ASan's exit code hid): when the scan of the migration files fails while the connection is still
// being opened on another thread (Engine opens it during the scan), the main thread prints the error and exits;
// libcrypto's atexit clean-up then frees what the connecting thread is using (SCRAM's HMAC in PQconnectdbParams),
// and that thread crashed with SIGSEGV (~4% of runs in a debug build: exit 139 instead of 1).

@Suite("exit while the connection is being opened", .timeLimit(.minutes(3)))
struct ExitRaceRegressionTests {
    @Test("a scan that fails while the connection opens exits 1 every time, never with a crash")
    func scanFailureDuringConnect() async throws {
        let db = try TestDatabase("exitrace")
        let folder = try MigrationFolder(["V1__marker.sql": "CREATE TABLE marker (id int);\n"])
        try Data(Array("SELECT 'caf".utf8) + [0xE9, 0x27, 0x3B, 0x0A])
            .write(to: URL(fileURLWithPath: folder.path + "/V2__latin1.sql"))
        var statuses: [Int32] = []
        for _ in 0..<40 {
            let run = try await runMigrate(["migrate", "--locations", folder.path], environment: db.environment)
            statuses.append(run.status)
        }
        // Fixed: Engine.open waits for the connecting thread to end before it returns the scan's error.
        #expect(statuses.allSatisfy { $0 == 1 }, "exit statuses: \(statuses)")
    }
}
