/// The `flyway_schema_history` table: Flyway's DDL, reads and row writes, byte for byte.
struct SchemaHistory {
    /// The schema holding the table.
    let schema: String
    /// The table name (case-sensitive, always quoted).
    let table: String
    /// Tablespace for the table and its indexes (Flyway's `tablespace`).
    var tablespace: String? = nil

    /// `"schema"."table"`.
    var qualifiedName: String { quoteIdentifier(schema) + "." + quoteIdentifier(table) }

    /// Flyway's `getRawCreateScript` statements (without a baseline row), run in one transaction.
    var createStatements: [String] {
        [
            """
            CREATE TABLE \(qualifiedName) (
                "installed_rank" INT NOT NULL,
                "version" VARCHAR(50),
                "description" VARCHAR(200) NOT NULL,
                "type" VARCHAR(20) NOT NULL,
                "script" VARCHAR(1000) NOT NULL,
                "checksum" INTEGER,
                "installed_by" VARCHAR(100) NOT NULL,
                "installed_on" TIMESTAMP NOT NULL DEFAULT now(),
                "execution_time" INTEGER NOT NULL,
                "success" BOOLEAN NOT NULL
            )
            """ + tablespaceClause(" TABLESPACE "),
            "ALTER TABLE \(qualifiedName) ADD CONSTRAINT \(quoteIdentifier(table + "_pk")) PRIMARY KEY (\"installed_rank\")"
                + tablespaceClause(" USING INDEX TABLESPACE "),
            "CREATE INDEX \(quoteIdentifier(table + "_s_idx")) ON \(qualifiedName) (\"success\")"
                + tablespaceClause(" TABLESPACE "),
        ]
    }

    private func tablespaceClause(_ keyword: String) -> String {
        tablespace.map { keyword + quoteIdentifier($0) } ?? ""
    }

    /// Whether the table exists (a `pg_class` row with relkind `r`, as Flyway checks).
    func exists(on connection: Connection) throws(RunwayError) -> Bool {
        let result = try connection.query(
            """
            SELECT EXISTS (SELECT 1 FROM pg_catalog.pg_class c JOIN pg_catalog.pg_namespace n ON n.oid = c.relnamespace
                           WHERE n.nspname = $1 AND c.relname = $2 AND c.relkind = 'r')
            """, [schema, table])
        return result.scalar == "t"
    }

    /// Creates the table with Flyway's DDL; the caller owns the transaction.
    func create(on connection: Connection) throws(RunwayError) {
        for statement in createStatements { try connection.execute(statement) }
    }

    /// Reads every row ordered by rank; with `times`, `installed_on` is formatted in the session time zone and in UTC
    /// (without, ``AppliedMigration/installedOn`` and ``AppliedMigration/installedOnUTC`` are empty).
    ///
    /// Formatting two times per row costs the server more than the rest of the row (10,000 rows: ~10 ms), so
    /// commands that never show them (validate, migrate) leave them out, and a session whose `installed_on` text is
    /// already both (ISO `DateStyle`, a UTC `TimeZone`: what PostgreSQL images default to) gets the raw column,
    /// cut to shape here. `formatOnServer` forces the general query (tests compare the two).
    func read(
        on connection: Connection, times: Bool = true, formatOnServer: Bool = false
    ) throws(RunwayError) -> [AppliedMigration] {
        var unreadable = false
        guard times else { return try select(on: connection, times: .none, unreadable: &unreadable) }
        if !formatOnServer, Self.printsISOInUTC(connection) {
            let rows = try select(on: connection, times: .isoText, unreadable: &unreadable)
            if !unreadable { return rows }  // else a year beyond 9999 or BC: let the server format it
        }
        return try select(on: connection, times: .formattedOnServer, unreadable: &unreadable)
    }

    /// How ``read(on:times:formatOnServer:)`` gets `installed_on`.
    private enum Times {
        case none
        case formattedOnServer
        /// The raw column of an ISO/UTC session, cut to shape here.
        case isoText
    }

    /// The rows; `unreadable` is set when ``Times/isoText`` meets a value of another shape.
    private func select(
        on connection: Connection, times: Times, unreadable: inout Bool
    ) throws(RunwayError) -> [AppliedMigration] {
        let columns: String
        switch times {
        case .none: columns = "NULL, NULL"
        case .isoText: columns = "\"installed_on\", NULL"
        case .formattedOnServer:
            columns = """
                to_char("installed_on", 'YYYY-MM-DD HH24:MI:SS'),
                       to_char(("installed_on" AT TIME ZONE current_setting('TimeZone')) AT TIME ZONE 'UTC',
                               'YYYY-MM-DD"T"HH24:MI:SS.US"Z"')
                """
        }
        return try connection.rows(
            """
            /*NO LOAD BALANCE*/
            SELECT "installed_rank", "version", "description", "type", "script", "checksum", \(columns),
                   "installed_by", "execution_time", "success"
            FROM \(qualifiedName) ORDER BY "installed_rank"
            """
        ) { row in
            var installedOn = row.string(6) ?? ""
            var installedOnUTC = row.string(7) ?? ""
            if times == .isoText {
                if let formatted = row.bytes(6).flatMap(Self.times(isoText:)) {
                    (installedOn, installedOnUTC) = formatted
                } else {
                    unreadable = true
                }
            }
            return AppliedMigration(
                installedRank: row.integer(0) ?? 0, versionText: row.string(1), description: row.string(2) ?? "",
                type: MigrationType(rawValue: row.string(3) ?? ""), script: row.string(4) ?? "",
                checksum: row.integer(5).flatMap { Int32(exactly: $0) }, installedBy: row.string(8) ?? "",
                installedOn: installedOn, installedOnUTC: installedOnUTC, executionTime: row.integer(9) ?? 0,
                success: row.isTrue(10))
        }
    }

    /// Time zone names PostgreSQL knows as UTC itself (zero offset, no daylight saving), lowercased.
    private static let utcZones: Set<String> = [
        "utc", "etc/utc", "gmt", "etc/gmt", "uct", "etc/uct", "universal", "etc/universal", "zulu", "etc/zulu",
    ]

    /// Whether the session prints a `timestamp` as `YYYY-MM-DD HH:MM:SS[.ffffff]` of UTC (`DateStyle` and `TimeZone`
    /// as the server last reported them, which libpq keeps current after a `SET`).
    static func printsISOInUTC(_ connection: Connection) -> Bool {
        guard let dateStyle = connection.parameterStatus("DateStyle"), dateStyle.hasPrefix("ISO"),
            let zone = connection.parameterStatus("TimeZone")
        else { return false }
        return utcZones.contains(zone.lowercased())
    }

    /// The two formatted times (`YYYY-MM-DD HH24:MI:SS` and `YYYY-MM-DD"T"HH24:MI:SS.US"Z"`) from a `timestamp`
    /// printed in the ISO style of a UTC session, or `nil` when the text has another shape.
    static func times(isoText text: String) -> (local: String, utc: String)? {
        var text = text
        return text.withUTF8 { times(isoText: $0) }
    }

    /// ``times(isoText:)-(String)`` on the text's bytes.
    static func times(isoText bytes: UnsafeBufferPointer<UInt8>) -> (local: String, utc: String)? {
        // 0000-00-00 00:00:00[.f{1,6}]
        let length = 19
        guard bytes.count >= length, bytes.count <= length + 7 else { return nil }
        for index in 0..<length {
            let byte = bytes[index]
            let ok =
                switch index {
                case 4, 7: byte == UInt8(ascii: "-")
                case 10: byte == UInt8(ascii: " ")
                case 13, 16: byte == UInt8(ascii: ":")
                default: byte >= UInt8(ascii: "0") && byte <= UInt8(ascii: "9")
                }
            guard ok else { return nil }
        }
        let fraction = bytes[length...]
        if !fraction.isEmpty {
            guard fraction.count >= 2, fraction.first == UInt8(ascii: "."),
                fraction.dropFirst().allSatisfy({ $0 >= UInt8(ascii: "0") && $0 <= UInt8(ascii: "9") })
            else { return nil }
        }
        let local = String(decoding: bytes[..<length], as: UTF8.self)
        // 2026-11-21T08:38:54.184418Z: the date, T, the time, six fraction digits (padded), Z.
        let utc = String(unsafeUninitializedCapacity: 27) { buffer in
            _ = buffer.initialize(from: bytes[..<length])
            buffer[10] = UInt8(ascii: "T")
            buffer[length] = UInt8(ascii: ".")
            let digits = fraction.dropFirst()
            for offset in 0..<6 {
                buffer[length + 1 + offset] =
                    offset < digits.count ? digits[digits.startIndex + offset] : UInt8(ascii: "0")
            }
            buffer[26] = UInt8(ascii: "Z")
            return 27
        }
        return (local, utc)
    }

    /// A row to append; `installed_on` comes from the column default `now()`, as in Flyway.
    struct NewRow {
        var version: String?
        var description: String
        var type: MigrationType
        var script: String
        var checksum: Int32?
        var installedBy: String
        var executionTime: Int
        var success: Bool
    }

    /// The `INSERT` of a history row as SQL text with the values as literals (quoted by libpq), so it can be sent
    /// together with other statements (a migration's row goes with its `COMMIT`: one round trip). Without `rank`,
    /// the row gets the next `installed_rank`.
    func insertStatement(_ row: NewRow, rank: Int? = nil, on connection: Connection) throws(RunwayError) -> String {
        let values = [
            row.version, Self.abbreviateDescription(row.description), row.type.rawValue,
            Self.abbreviateScript(row.script), row.checksum.map(String.init), row.installedBy,
        ]
        var literals: [String] = []
        for value in values { literals.append(try connection.literal(value)) }
        let rankSQL = rank.map { "\($0)" } ?? "(SELECT coalesce(max(\"installed_rank\"), 0) + 1 FROM \(qualifiedName))"
        return """
            INSERT INTO \(qualifiedName) ("installed_rank", "version", "description", "type", "script", "checksum",
                "installed_by", "execution_time", "success")
            VALUES (\(rankSQL), \(literals[0]), \(literals[1]), \(literals[2]), \(literals[3]), \(literals[4])::integer,
                \(literals[5]), \(row.executionTime)::integer, \(row.success))
            """
    }

    /// Appends a row with rank = last rank + 1 (or the given rank), truncating description and script as Flyway
    /// does. Runs in the caller's transaction so a migration and its row commit together.
    func insert(_ row: NewRow, rank: Int? = nil, on connection: Connection) throws(RunwayError) {
        try connection.execute(try insertStatement(row, rank: rank, on: connection))
    }

    /// Marks the row of rank `rank` as finished: its outcome, execution time and (as Flyway writes a row when a
    /// migration ends) `installed_on`.
    func finishStatement(rank: Int, success: Bool, executionTime: Int) -> String {
        """
        UPDATE \(qualifiedName) SET "success" = \(success), "execution_time" = \(executionTime),
            "installed_on" = now() WHERE "installed_rank" = \(rank)
        """
    }

    /// Flyway's `AbbreviationUtils.abbreviateDescription`, counting Java `char`s (UTF-16 code units): longer than 200
    /// becomes the first 197 units + `...`. A surrogate pair cut in half ends in `?`, which is what Java's UTF-8
    /// encoder (and so the stored row) makes of the lone surrogate.
    static func abbreviateDescription(_ description: String) -> String {
        let units = Array(description.utf16)
        guard units.count > 200 else { return description }
        var head = Array(units.prefix(197))
        if let last = head.last, UTF16.isLeadSurrogate(last) { head[head.count - 1] = UInt16(UInt8(ascii: "?")) }
        return String(decoding: head, as: UTF16.self) + "..."
    }

    /// Flyway's `abbreviateScript`: `...` + the characters from 3 up to 1000.
    static func abbreviateScript(_ script: String) -> String {
        let units = Array(script.utf16)
        guard units.count > 1000 else { return script }
        return "..." + String(decoding: units[3..<1000], as: UTF16.self)
    }
}
