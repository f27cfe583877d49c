/// Shared storage for a value type with many reference-counted fields (``ResolvedMigration``,
/// ``AppliedMigration``): a copy of the owning struct retains one object instead of every string in it, which is
/// what sorting and merging ten thousand migrations spend their time on. Written only through
/// ``CopyOnWriteBox/update(_:_:)``, which copies the storage first when it is shared.
final class CopyOnWriteBox<Value: Sendable>: @unchecked Sendable {
    // @unchecked: `value` is written only by `update`, on storage no other copy can see (uniquely referenced).
    private(set) var value: Value

    init(_ value: Value) { self.value = value }

    /// Applies `change` to the value in `box`, after copying the storage if another struct shares it.
    static func update(_ box: inout CopyOnWriteBox<Value>, _ change: (inout Value) -> Void) {
        if !isKnownUniquelyReferenced(&box) { box = CopyOnWriteBox(box.value) }
        change(&box.value)
    }
}
