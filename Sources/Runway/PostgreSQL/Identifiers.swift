/// Quotes an identifier for PostgreSQL: `"name"` with embedded quotes doubled, exactly as Flyway's `doQuote`.
func quoteIdentifier(_ name: String) -> String {
    "\"" + name.replacingEvery("\"", with: "\"\"") + "\""
}

/// Quotes a string literal (`'it''s'`). Used only where PostgreSQL accepts no parameter (`SET ROLE`).
func quoteLiteral(_ value: String) -> String {
    "'" + value.replacingEvery("'", with: "''") + "'"
}
