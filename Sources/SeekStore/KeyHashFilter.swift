import Foundation
import Synchronization

/// A Bloom filter of every API key's hash, so that a request whose key is certainly not a key can be
/// refused without reading storage. It says "maybe" for every real key (and, rarely, for a fake one) and
/// "no" only for hashes it has never been told of.
///
/// It learns from `WorkspaceStore.keyHashes(createdSince:)`: everything at first, then what was made since its
/// last look (less a margin for clocks of other processes), at most once per `interval`, so a key made by
/// another process is known within that long. Revoked keys stay in: a "maybe" only costs the read it always did.
public final class KeyHashFilter: Sendable {
    /// Hash functions per key; with 16 bits per key this errs on about one fake key in 2,000.
    private static let probes = 7
    private static let bitsPerKey = 16
    private static let clockMargin: TimeInterval = 60

    private struct State {
        var bits: [UInt64]
        var count = 0
        var learnedUpTo: Date?
        var lastLook: ContinuousClock.Instant?
        var looking = false
    }

    private let store: any WorkspaceStore
    private let interval: Duration
    private let now: @Sendable () -> ContinuousClock.Instant
    private let state: Mutex<State>

    /// `words`: the starting size, in 64-bit words (room for 4 keys each); it grows as keys come.
    public init(
        store: any WorkspaceStore,
        interval: Duration = .seconds(1),
        words: Int = 1 << 10,
        now: @escaping @Sendable () -> ContinuousClock.Instant = { .now }
    ) {
        state = Mutex(State(bits: Array(repeating: 0, count: max(1, words))))
        self.store = store
        self.interval = interval
        self.now = now
    }

    /// Whether `hash` may be a key's: false means it certainly is not, as of a look at most `interval` ago.
    public func mightContain(_ hash: String) async -> Bool {
        if state.withLock({ Self.contains(hash, in: $0.bits) }) { return true }
        await learn()
        return state.withLock { Self.contains(hash, in: $0.bits) }
    }

    /// Reads the keys made since the last look, unless a look is under way or was made within `interval`.
    func learn() async {
        let now = now()
        let start = state.withLock { state -> Date?? in
            if state.looking { return nil }
            if let last = state.lastLook, now - last < interval { return nil }
            state.looking = true
            return .some(state.learnedUpTo.map { $0.addingTimeInterval(-Self.clockMargin) })
        }
        guard var since = start else { return }
        while true {
            let keys = try? await store.keyHashes(createdSince: since ?? .distantPast)
            let readAgain = state.withLock { state -> Bool in
                guard let keys else {
                    (state.looking, state.lastLook) = (false, now)
                    return false
                }
                if (state.count + keys.count) * Self.bitsPerKey > state.bits.count * 64 {
                    // Too full to stay accurate: large enough for twice as many, from every key.
                    var words = state.bits.count * 2
                    while (state.count + keys.count) * Self.bitsPerKey * 2 > words * 64 { words *= 2 }
                    state.bits = Array(repeating: 0, count: words)
                    (state.count, state.learnedUpTo) = (0, nil)
                    return true
                }
                for key in keys where !Self.contains(key.hash, in: state.bits) {
                    Self.insert(key.hash, into: &state.bits)
                    state.count += 1
                }
                if let newest = keys.map(\.createdAt).max() { state.learnedUpTo = max(state.learnedUpTo ?? newest, newest) }
                (state.looking, state.lastLook) = (false, now)
                return false
            }
            guard readAgain else { return }
            since = nil
        }
    }

    /// The probe positions: two 64-bit words of the (already uniform) SHA-256 hash, combined by double hashing.
    private static func positions(_ hash: String, size: Int) -> [Int] {
        let hex = Array(hash.utf8.prefix(32))
        let first = UInt64(String(decoding: hex.prefix(16), as: UTF8.self), radix: 16) ?? 0
        let second = (UInt64(String(decoding: hex.dropFirst(16), as: UTF8.self), radix: 16) ?? 0) | 1
        let bits = UInt64(size * 64)
        return (0..<probes).map { Int((first &+ UInt64($0) &* second) % bits) }
    }

    private static func contains(_ hash: String, in bits: [UInt64]) -> Bool {
        positions(hash, size: bits.count).allSatisfy { bits[$0 / 64] & (1 << UInt64($0 % 64)) != 0 }
    }

    private static func insert(_ hash: String, into bits: inout [UInt64]) {
        for position in positions(hash, size: bits.count) { bits[position / 64] |= 1 << UInt64(position % 64) }
    }
}
