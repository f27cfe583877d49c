import Testing

@testable import Runway

@Suite("AdvisoryLockKey (Flyway §4.1 vectors)")
struct AdvisoryLockKeyTests {
    @Test(
        "matches Flyway's key",
        arguments: [
            ("public", "flyway_schema_history", 2_125_624_436, 77_433_833_903_597),
            ("myschema", "flyway_schema_history", -260_354_672, 77_431_447_924_489),
            ("public", "my_history", 16_629_238, 77_431_724_908_399),
            ("Public", "flyway_schema_history", -510_038_956, 77_431_198_240_205),
            ("s\"x", "flyway_schema_history", 1_840_312_056, 77_433_548_591_217),
            ("schéma", "flyway_schema_history", 550_128_952, 77_432_258_408_113),
        ] as [(String, String, Int32, Int64)])
    func vector(schema: String, table: String, hash: Int32, key: Int64) {
        let name = quoteIdentifier(schema) + "." + quoteIdentifier(table)
        #expect(AdvisoryLockKey.javaHashCode(name) == hash)
        #expect(AdvisoryLockKey(schema: schema, table: table).value == key)
    }

    @Test("pg_locks shows the default key as classid 18028, objid 4163491309")
    func pgLocksFields() {
        let key = AdvisoryLockKey(schema: "public", table: "flyway_schema_history")
        #expect(key.classID == 18028)
        #expect(key.objectID == 4_163_491_309)
    }
}
