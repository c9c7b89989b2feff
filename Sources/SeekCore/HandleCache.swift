import Synchronization

/// Values made once per key and then shared, such as metric handles: asking a metrics registry for a labelled
/// handle on every job or request hashes its name and labels under the registry's lock each time, which cost
/// 2–3 % of a busy server's CPU.
public final class HandleCache<Key: Hashable & Sendable, Value: Sendable>: Sendable {
    private let values = Mutex<[Key: Value]>([:])
    private let make: @Sendable (Key) -> Value

    public init(_ make: @escaping @Sendable (Key) -> Value) {
        self.make = make
    }

    public subscript(key: Key) -> Value {
        if let value = values.withLock({ $0[key] }) { return value }
        let made = make(key)
        // Two callers may make the same key's handle at once; the first stored is the one kept.
        return values.withLock { values in
            if let kept = values[key] { return kept }
            values[key] = made
            return made
        }
    }
}
