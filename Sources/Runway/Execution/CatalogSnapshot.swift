#if canImport(FoundationEssentials)
    import FoundationEssentials
#else
    import Foundation
#endif

/// Reads the objects `check --drift` compares from a database's catalogs, in one read-only transaction.
///
/// Everything is read as the server prints it (`format_type`, `pg_get_expr`, `pg_get_viewdef`, `pg_get_indexdef`,
/// `pg_get_constraintdef`, `pg_get_triggerdef`, `pg_get_functiondef`) with an empty `search_path`, so every name in
/// a definition is schema-qualified the same way on both sides; never an OID. Objects that belong to an extension
/// are left out (the extension is compared instead), and so is the schema history table.
struct CatalogSnapshot {
    /// The schemas to read.
    let schemas: [String]
    /// Whether to read privileges.
    let privileges: Bool
    /// The history table (schema, table), left out with everything in it.
    let history: (schema: String, table: String)

    /// The schemas of `connection`'s database that a drift check compares: `managed`, and every other schema except
    /// the system ones and an empty, unmanaged `public` (every new database has it).
    static func schemas(on connection: Connection, managed: [String]) throws(RunwayError) -> [String] {
        let rows = try connection.query(
            """
            SELECT n.nspname FROM pg_catalog.pg_namespace n
            WHERE n.nspname !~ '^pg_' AND n.nspname <> 'information_schema'
              AND NOT EXISTS (SELECT 1 FROM pg_catalog.pg_depend d
                              WHERE d.classid = 'pg_catalog.pg_namespace'::pg_catalog.regclass AND d.objid = n.oid
                                AND d.deptype = 'e')
              AND (n.nspname <> 'public' OR n.nspname = ANY($1::text[])
                   OR EXISTS (SELECT 1 FROM pg_catalog.pg_class c WHERE c.relnamespace = n.oid)
                   OR EXISTS (SELECT 1 FROM pg_catalog.pg_proc p WHERE p.pronamespace = n.oid)
                   OR EXISTS (SELECT 1 FROM pg_catalog.pg_type t WHERE t.typnamespace = n.oid))
            ORDER BY 1
            """, [arrayLiteral(managed)])
        let found = rows.rows.compactMap { $0.first ?? nil }
        return managed + found.filter { !managed.contains($0) }
    }

    /// Every object, in the order the queries return them (the comparison does not depend on it).
    func read(on connection: Connection) throws(RunwayError) -> [CatalogObject] {
        try connection.execute(
            "BEGIN TRANSACTION ISOLATION LEVEL REPEATABLE READ READ ONLY;\n"
                + "SELECT pg_catalog.set_config('search_path', '', true)")
        defer { _ = try? connection.execute("ROLLBACK") }
        var objects: [CatalogObject] = []
        let scope = Self.arrayLiteral(schemas)
        for query in queries {
            let result = try connection.query(query.sql, [scope])
            for row in result.rows {
                guard let name = row[0] else { continue }
                let parent = row[1].map { CatalogObject.Key(kind: query.parentKind(row), name: $0) }
                var kind = query.kind
                if let resolve = query.resolveKind { kind = resolve(row) }
                var attributes: [(String, String?)] = []
                for (offset, attribute) in query.attributes.enumerated() {
                    let value = row[offset + query.firstAttribute]
                    attributes.append(
                        (attribute, query.normalise.contains(attribute) ? value.map(Self.squeeze) : value))
                }
                if privileges, let acl = query.aclColumn { attributes.append(("privileges", row[acl])) }
                objects.append(CatalogObject(kind: kind, name: name, parent: parent, attributes: attributes))
            }
        }
        let historyName = history.schema + "." + history.table
        return objects.filter { object in
            !(object.kind == .table && object.name == historyName) && object.parent?.name != historyName
        }
    }

    // MARK: - The queries

    private struct Query {
        let kind: DriftObjectKind
        let sql: String
        /// Names of the attribute columns, which follow `firstAttribute`.
        let attributes: [String]
        var firstAttribute = 2
        /// Attributes whose runs of white space count as one space.
        var normalise: Set<String> = []
        /// The column holding the privileges, read only with `privileges`.
        var aclColumn: Int? = nil
        var resolveKind: (([String?]) -> DriftObjectKind)? = nil
        var parentKind: ([String?]) -> DriftObjectKind = { _ in .schema }
    }

    /// Privileges as `grantee:PRIVILEGE[*]` items sorted and joined by commas; the owner is `owner` (it may be
    /// another role on the scratch side), `PUBLIC` is `PUBLIC`, `*` marks WITH GRANT OPTION.
    private static func acl(_ column: String, owner: String, type: String) -> String {
        """
        (SELECT coalesce(pg_catalog.string_agg(item, ',' ORDER BY item), '') FROM (
            SELECT CASE WHEN a.grantee = 0 THEN 'PUBLIC' WHEN a.grantee = \(owner) THEN 'owner'
                        ELSE pg_catalog.pg_get_userbyid(a.grantee) END
                   || ':' || a.privilege_type || CASE WHEN a.is_grantable THEN '*' ELSE '' END AS item
            FROM pg_catalog.aclexplode(coalesce(\(column), pg_catalog.acldefault('\(type)', \(owner)))) a) acl_items)
        """
    }

    /// `NOT` a member of an extension.
    private static func ownObject(_ catalog: String, _ oid: String) -> String {
        """
        NOT EXISTS (SELECT 1 FROM pg_catalog.pg_depend e WHERE e.classid = 'pg_catalog.\(catalog)'::pg_catalog.regclass
                    AND e.objid = \(oid) AND e.deptype = 'e')
        """
    }

    private static let relationName = "n.nspname || '.' || c.relname"

    private var queries: [Query] {
        var queries: [Query] = [
            Query(
                kind: .schema,
                sql: """
                    SELECT n.nspname, NULL, \(Self.acl("n.nspacl", owner: "n.nspowner", type: "n"))
                    FROM pg_catalog.pg_namespace n WHERE n.nspname = ANY($1::text[])
                    """, attributes: [], aclColumn: 2),
            Query(
                kind: .table,
                sql: """
                    SELECT \(Self.relationName), n.nspname,
                        CASE c.relkind WHEN 'p' THEN 'partitioned' WHEN 'f' THEN 'foreign' ELSE 'ordinary' END,
                        CASE c.relpersistence WHEN 'u' THEN 'unlogged' ELSE 'logged' END,
                        pg_catalog.pg_get_partkeydef(c.oid), pg_catalog.pg_get_expr(c.relpartbound, c.oid),
                        (SELECT pg_catalog.string_agg(i.inhparent::pg_catalog.regclass::text, ', ' ORDER BY i.inhseqno)
                         FROM pg_catalog.pg_inherits i WHERE i.inhrelid = c.oid),
                        pg_catalog.array_to_string(c.reloptions, ', '),
                        CASE WHEN c.relrowsecurity THEN 'enabled' END,
                        \(Self.acl("c.relacl", owner: "c.relowner", type: "r"))
                    FROM pg_catalog.pg_class c JOIN pg_catalog.pg_namespace n ON n.oid = c.relnamespace
                    WHERE c.relkind IN ('r', 'p', 'f') AND n.nspname = ANY($1::text[])
                      AND \(Self.ownObject("pg_class", "c.oid"))
                    """,
                attributes: [
                    "kind", "persistence", "partition key", "partition bound", "inherits", "options",
                    "row level security",
                ], aclColumn: 9),
            Query(
                kind: .column,
                sql: """
                    SELECT \(Self.relationName) || '.' || a.attname, \(Self.relationName),
                        pg_catalog.format_type(a.atttypid, a.atttypmod),
                        CASE WHEN a.attnotnull THEN 'not null' ELSE 'null' END,
                        CASE WHEN a.attgenerated = '' THEN pg_catalog.pg_get_expr(ad.adbin, ad.adrelid) END,
                        CASE a.attidentity WHEN 'a' THEN 'generated always' WHEN 'd' THEN 'generated by default' END,
                        CASE WHEN a.attgenerated <> '' THEN pg_catalog.pg_get_expr(ad.adbin, ad.adrelid) END,
                        CASE WHEN a.attcollation <> t.typcollation THEN co.collname END
                    FROM pg_catalog.pg_attribute a
                    JOIN pg_catalog.pg_class c ON c.oid = a.attrelid
                    JOIN pg_catalog.pg_namespace n ON n.oid = c.relnamespace
                    JOIN pg_catalog.pg_type t ON t.oid = a.atttypid
                    LEFT JOIN pg_catalog.pg_attrdef ad ON ad.adrelid = a.attrelid AND ad.adnum = a.attnum
                    LEFT JOIN pg_catalog.pg_collation co ON co.oid = a.attcollation
                    WHERE a.attnum > 0 AND NOT a.attisdropped AND c.relkind IN ('r', 'p', 'f')
                      AND n.nspname = ANY($1::text[]) AND \(Self.ownObject("pg_class", "c.oid"))
                    """,
                attributes: ["type", "nullability", "default", "identity", "generated", "collation"],
                normalise: ["default", "generated"], parentKind: { _ in .table }),
            Query(
                kind: .constraint,
                sql: """
                    SELECT \(Self.relationName) || '.' || k.conname, \(Self.relationName),
                        CASE k.contype WHEN 'c' THEN 'check' WHEN 'f' THEN 'foreign key' WHEN 'p' THEN 'primary key'
                            WHEN 'u' THEN 'unique' WHEN 'x' THEN 'exclusion' WHEN 't' THEN 'constraint trigger'
                            ELSE k.contype::text END,
                        pg_catalog.pg_get_constraintdef(k.oid, true),
                        CASE WHEN k.convalidated THEN 'valid' ELSE 'not valid' END
                    FROM pg_catalog.pg_constraint k
                    JOIN pg_catalog.pg_class c ON c.oid = k.conrelid
                    JOIN pg_catalog.pg_namespace n ON n.oid = c.relnamespace
                    WHERE k.contype <> 'n' AND n.nspname = ANY($1::text[]) AND \(Self.ownObject("pg_class", "c.oid"))
                    """,
                attributes: ["type", "definition", "validity"], normalise: ["definition"],
                parentKind: { _ in .table }),
            Query(
                kind: .index,
                sql: """
                    SELECT n.nspname || '.' || ic.relname, \(Self.relationName),
                        pg_catalog.pg_get_indexdef(i.indexrelid),
                        CASE WHEN i.indisvalid THEN 'valid' ELSE 'invalid' END, c.relkind::text
                    FROM pg_catalog.pg_index i
                    JOIN pg_catalog.pg_class ic ON ic.oid = i.indexrelid
                    JOIN pg_catalog.pg_class c ON c.oid = i.indrelid
                    JOIN pg_catalog.pg_namespace n ON n.oid = c.relnamespace
                    WHERE n.nspname = ANY($1::text[]) AND \(Self.ownObject("pg_class", "c.oid"))
                      AND NOT EXISTS (SELECT 1 FROM pg_catalog.pg_constraint k
                                      WHERE k.conindid = i.indexrelid AND k.conrelid = i.indrelid
                                        AND k.contype IN ('p', 'u', 'x'))
                    """,
                attributes: ["definition", "validity"], normalise: ["definition"],
                parentKind: { $0[4] == "m" ? .materializedView : .table }),
            Query(
                kind: .view,
                sql: """
                    SELECT \(Self.relationName), n.nspname, pg_catalog.pg_get_viewdef(c.oid, true),
                        pg_catalog.array_to_string(c.reloptions, ', '), c.relkind::text,
                        \(Self.acl("c.relacl", owner: "c.relowner", type: "r"))
                    FROM pg_catalog.pg_class c JOIN pg_catalog.pg_namespace n ON n.oid = c.relnamespace
                    WHERE c.relkind IN ('v', 'm') AND n.nspname = ANY($1::text[])
                      AND \(Self.ownObject("pg_class", "c.oid"))
                    """,
                attributes: ["definition", "options"], normalise: ["definition"], aclColumn: 5,
                resolveKind: { $0[4] == "m" ? .materializedView : .view }),
            Query(
                kind: .function,
                sql: """
                    SELECT n.nspname || '.' || p.proname || '(' || pg_catalog.pg_get_function_identity_arguments(p.oid)
                            || ')', n.nspname,
                        CASE p.prokind WHEN 'a' THEN 'aggregate' WHEN 'w' THEN 'window' WHEN 'p' THEN 'procedure'
                            ELSE 'function' END,
                        CASE WHEN p.prokind <> 'a' THEN pg_catalog.pg_get_functiondef(p.oid)
                            ELSE pg_catalog.format_type(p.prorettype, NULL) END,
                        \(Self.acl("p.proacl", owner: "p.proowner", type: "f"))
                    FROM pg_catalog.pg_proc p JOIN pg_catalog.pg_namespace n ON n.oid = p.pronamespace
                    WHERE n.nspname = ANY($1::text[]) AND \(Self.ownObject("pg_proc", "p.oid"))
                    """,
                attributes: ["kind", "definition"], aclColumn: 4,
                resolveKind: { $0[2] == "procedure" ? .procedure : .function }),
            Query(
                kind: .trigger,
                sql: """
                    SELECT \(Self.relationName) || '.' || t.tgname, \(Self.relationName),
                        pg_catalog.pg_get_triggerdef(t.oid, true),
                        CASE t.tgenabled WHEN 'O' THEN 'enabled' WHEN 'D' THEN 'disabled' WHEN 'R' THEN 'replica'
                            WHEN 'A' THEN 'always' END,
                        c.relkind::text
                    FROM pg_catalog.pg_trigger t
                    JOIN pg_catalog.pg_class c ON c.oid = t.tgrelid
                    JOIN pg_catalog.pg_namespace n ON n.oid = c.relnamespace
                    WHERE NOT t.tgisinternal AND n.nspname = ANY($1::text[]) AND \(Self.ownObject("pg_class", "c.oid"))
                    """,
                attributes: ["definition", "enabled"], normalise: ["definition"],
                parentKind: { $0[4] == "v" ? .view : ($0[4] == "m" ? .materializedView : .table) }),
            Query(
                kind: .sequence,
                sql: """
                    SELECT \(Self.relationName), n.nspname, pg_catalog.format_type(s.seqtypid, NULL),
                        s.seqstart::text, s.seqincrement::text, s.seqmin::text, s.seqmax::text, s.seqcache::text,
                        CASE WHEN s.seqcycle THEN 'cycle' ELSE 'no cycle' END,
                        (SELECT d.refobjid::pg_catalog.regclass::text || '.' || a.attname
                         FROM pg_catalog.pg_depend d
                         JOIN pg_catalog.pg_attribute a ON a.attrelid = d.refobjid AND a.attnum = d.refobjsubid
                         WHERE d.classid = 'pg_catalog.pg_class'::pg_catalog.regclass AND d.objid = c.oid
                           AND d.refclassid = 'pg_catalog.pg_class'::pg_catalog.regclass AND d.deptype = 'a'),
                        \(Self.acl("c.relacl", owner: "c.relowner", type: "s"))
                    FROM pg_catalog.pg_class c
                    JOIN pg_catalog.pg_namespace n ON n.oid = c.relnamespace
                    JOIN pg_catalog.pg_sequence s ON s.seqrelid = c.oid
                    WHERE c.relkind = 'S' AND n.nspname = ANY($1::text[]) AND \(Self.ownObject("pg_class", "c.oid"))
                      AND NOT EXISTS (SELECT 1 FROM pg_catalog.pg_depend d WHERE d.objid = c.oid
                                        AND d.classid = 'pg_catalog.pg_class'::pg_catalog.regclass
                                        AND d.deptype = 'i')
                    """,
                attributes: ["type", "start", "increment", "minimum", "maximum", "cache", "cycle", "owned by"],
                aclColumn: 10),
            Query(
                kind: .enumType,
                sql: """
                    SELECT n.nspname || '.' || t.typname, n.nspname,
                        (SELECT pg_catalog.string_agg(e.enumlabel, ', ' ORDER BY e.enumsortorder)
                         FROM pg_catalog.pg_enum e WHERE e.enumtypid = t.oid),
                        \(Self.acl("t.typacl", owner: "t.typowner", type: "T"))
                    FROM pg_catalog.pg_type t JOIN pg_catalog.pg_namespace n ON n.oid = t.typnamespace
                    WHERE t.typtype = 'e' AND n.nspname = ANY($1::text[]) AND \(Self.ownObject("pg_type", "t.oid"))
                    """, attributes: ["labels"], aclColumn: 3),
            Query(
                kind: .domain,
                sql: """
                    SELECT n.nspname || '.' || t.typname, n.nspname,
                        pg_catalog.format_type(t.typbasetype, t.typtypmod),
                        CASE WHEN t.typnotnull THEN 'not null' ELSE 'null' END, t.typdefault,
                        (SELECT pg_catalog.string_agg(k.conname || ' ' || pg_catalog.pg_get_constraintdef(k.oid, true),
                                                      '; ' ORDER BY k.conname)
                         FROM pg_catalog.pg_constraint k WHERE k.contypid = t.oid AND k.contype <> 'n'),
                        \(Self.acl("t.typacl", owner: "t.typowner", type: "T"))
                    FROM pg_catalog.pg_type t JOIN pg_catalog.pg_namespace n ON n.oid = t.typnamespace
                    WHERE t.typtype = 'd' AND n.nspname = ANY($1::text[]) AND \(Self.ownObject("pg_type", "t.oid"))
                    """, attributes: ["base type", "nullability", "default", "constraints"],
                normalise: ["default", "constraints"], aclColumn: 6),
        ]
        // Extensions are the database's, whatever schema they live in.
        queries.append(
            Query(
                kind: .extension,
                sql: """
                    SELECT e.extname, NULL, e.extversion, n.nspname
                    FROM pg_catalog.pg_extension e JOIN pg_catalog.pg_namespace n ON n.oid = e.extnamespace
                    WHERE $1::text[] IS NOT NULL
                    """, attributes: ["version", "schema"]))
        return queries
    }

    // MARK: - Helpers

    /// Runs of white space as one space, trimmed.
    static func squeeze(_ text: String) -> String {
        var output = ""
        var pendingSpace = false
        for character in text {
            if character.isWhitespace {
                pendingSpace = !output.isEmpty
            } else {
                if pendingSpace { output.append(" ") }
                pendingSpace = false
                output.append(character)
            }
        }
        return output
    }

    /// A `text[]` literal (`{"a","b"}`), every element quoted.
    static func arrayLiteral(_ items: [String]) -> String {
        "{"
            + items.map { "\"" + $0.replacingEvery("\\", with: "\\\\").replacingEvery("\"", with: "\\\"") + "\"" }
            .joined(separator: ",") + "}"
    }
}
