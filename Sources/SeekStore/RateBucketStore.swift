import SeekCore

/// What a shared bucket gave: whole tokens taken, and what it holds after them.
public struct RateGrant: Sendable, Equatable {
    public var granted: Int
    /// Tokens left in the shared bucket (fractional while it refills).
    public var tokensLeft: Double

    public init(granted: Int, tokensLeft: Double) {
        self.granted = granted
        self.tokensLeft = tokensLeft
    }
}

/// Token buckets that every node sharing the storage spends together, so that a key's limit is not multiplied
/// by the number of nodes. Only a store that many processes share has them; one process keeps its buckets in
/// memory.
public protocol RateBucketStore: Sendable {
    /// Takes up to `count` whole tokens from the bucket `name`, which refills at `limit` by the storage's clock
    /// (the nodes' clocks may differ) and starts full.
    func takeTokens(_ name: String, count: Int, limit: RateLimit) async throws -> RateGrant
}
