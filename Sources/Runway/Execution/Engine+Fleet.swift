#if canImport(FoundationEssentials)
    import FoundationEssentials
#else
    import Foundation
#endif
import Logging

extension Engine {
    /// What a fleet run asks the configured database before it starts.
    struct FleetSurvey {
        /// The names the target query returned (in its order, without duplicates); empty without a query.
        var names: [String] = []
        /// Connections still free for clients that are not superusers: `max_connections`, less the reserved ones,
        /// less every client backend connected now.
        var freeConnections: Int
    }

    /// Runs `query` (when given) in a read-only transaction on the configured database and counts the free
    /// connection slots. The query must return one column of non-empty names; `setting` names it in errors.
    func surveyFleet(query: String?, setting: String) throws(RunwayError) -> FleetSurvey {
        let connection = try Session.connect(
            configuration, logger: logger, cancellation: cancellation, readWrite: false)
        defer { cancellation.untrack(connection) }
        var names: [String] = []
        if let query {
            try connection.execute("START TRANSACTION READ ONLY")
            let result: QueryResult
            do {
                result = try connection.query(query)
            } catch {
                throw error.refined {
                    $0.code = .configuration
                    $0.message = "\(setting) failed: \($0.message)"
                }
            }
            _ = try? connection.execute("ROLLBACK")
            guard result.columns.count == 1 else {
                throw RunwayError.configuration(
                    "\(setting) must return exactly one column (the target names); it returned "
                        + "\(result.columns.count): \(result.columns.joined(separator: ", "))")
            }
            var seen = Set<String>()
            for (index, row) in result.rows.enumerated() {
                guard let name = row[0], !name.isEmpty else {
                    throw RunwayError.configuration(
                        "\(setting) returned \(row[0] == nil ? "NULL" : "an empty name") in row \(index + 1): every "
                            + "row must name a target")
                }
                if seen.insert(name).inserted {
                    names.append(name)
                } else {
                    logger.warning("Target listed twice; it runs once", metadata: ["target": "\(name)"])
                }
            }
        }
        // `backend_type` came with PostgreSQL 10; on older servers the free slots stay unknown (no limit applied).
        let free = try? connection.execute(
            """
            SELECT current_setting('max_connections')::int - current_setting('superuser_reserved_connections')::int
                - (SELECT count(*) FROM pg_stat_activity WHERE backend_type = 'client backend')::int
            """
        ).scalar.flatMap { Int($0) }
        return FleetSurvey(names: names, freeConnections: free ?? Int.max)
    }
}
