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

    /// Reads every row ordered by rank; `installed_on` is formatted in the session time zone and in UTC.
    func read(on connection: Connection) throws(RunwayError) -> [AppliedMigration] {
        let result = try connection.execute(
            """
            /*NO LOAD BALANCE*/
            SELECT "installed_rank", "version", "description", "type", "script", "checksum",
                   to_char("installed_on", 'YYYY-MM-DD HH24:MI:SS'),
                   to_char(("installed_on" AT TIME ZONE current_setting('TimeZone')) AT TIME ZONE 'UTC',
                           'YYYY-MM-DD"T"HH24:MI:SS.US"Z"'),
                   "installed_by", "execution_time", "success"
            FROM \(qualifiedName) ORDER BY "installed_rank"
            """)
        return result.rows.map { row in
            AppliedMigration(
                installedRank: Int(row[0] ?? "") ?? 0, versionText: row[1], description: row[2] ?? "",
                type: row[3] ?? "", script: row[4] ?? "", checksum: row[5].flatMap { Int32($0) },
                installedBy: row[8] ?? "", installedOn: row[6] ?? "", installedOnUTC: row[7] ?? "",
                executionTime: Int(row[9] ?? "") ?? 0, success: row[10] == "t")
        }
    }

    /// A row to append; `installed_on` comes from the column default `now()`, as in Flyway.
    struct NewRow {
        var version: String?
        var description: String
        var type: String
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
            row.version, MigrationInfoService.abbreviatedDescription(row.description), row.type,
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

    /// Flyway's `abbreviateScript`: `...` + the characters from 3 up to 1000.
    static func abbreviateScript(_ script: String) -> String {
        let units = Array(script.utf16)
        guard units.count > 1000 else { return script }
        return "..." + String(decoding: units[3..<1000], as: UTF16.self)
    }
}
