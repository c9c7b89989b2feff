import Foundation
import SeekTestSupport
import Testing

@testable import SeekCore
@testable import SeekStore

/// Shared rate buckets exist where many processes share the storage: on PostgreSQL.
@Suite("Shared rate buckets")
struct RateBucketStoreTests {
    @Test("two instances spend one bucket: its burst between them, then only what refills", arguments: StoreKind.available.filter { $0 == .postgres })
    func shared(kind: StoreKind) async throws {
        let fixture = try await StoreFixture(kind)
        let instances = try [#require(fixture.store as? any RateBucketStore), #require(try await fixture.another() as? any RateBucketStore)]
        let limit = RateLimit(perSecond: 10, burst: 20)
        let started = ContinuousClock.now
        let granted = try await withThrowingTaskGroup(of: Int.self) { group in
            for index in 0..<40 { group.addTask { try await instances[index % 2].takeTokens("key_1", count: 1, limit: limit).granted } }
            return try await group.reduce(0, +)
        }
        let refilled = Int(((ContinuousClock.now - started).seconds * 10).rounded(.up))
        #expect(granted >= 20 && granted <= 20 + refilled, "granted \(granted), refilled at most \(refilled)")

        let batch = try await instances[0].takeTokens("key_2", count: 8, limit: limit)
        #expect(batch.granted == 8 && batch.tokensLeft <= 12 + Double(refilled) && batch.tokensLeft >= 12)
        let rest = try await instances[1].takeTokens("key_2", count: 100, limit: limit)
        #expect(rest.granted >= 12 && rest.granted <= 13, "the rest of the burst, never more than it holds")
        #expect(rest.tokensLeft < 1)
        let other = try await instances[1].takeTokens("key_3", count: 5, limit: limit)
        #expect(other.granted == 5, "each name has its own bucket")
    }

    @Test(
        "takes of many buckets at once, which share statements, each spend their own bucket",
        arguments: StoreKind.available.filter { $0 == .postgres }
    )
    func manyBucketsAtOnce(kind: StoreKind) async throws {
        let fixture = try await StoreFixture(kind)
        let instances = try [#require(fixture.store as? any RateBucketStore), #require(try await fixture.another() as? any RateBucketStore)]
        let limit = RateLimit(perSecond: 1, burst: 4)
        let started = ContinuousClock.now
        // Each of 50 buckets taken twice, 3 tokens at a time, through both instances.
        let grants = try await withThrowingTaskGroup(of: (String, Int).self) { group in
            for index in 0..<100 {
                let name = "many_\(index % 50)"
                group.addTask { (name, try await instances[index % 2].takeTokens(name, count: 3, limit: limit).granted) }
            }
            return try await group.reduce(into: [String: [Int]]()) { $0[$1.0, default: []].append($1.1) }
        }
        let refilled = Int((ContinuousClock.now - started).seconds.rounded(.up))
        #expect(grants.count == 50)
        for (name, granted) in grants {
            #expect(granted.sorted().last == 3, "\(name): the first take gets all it asks")
            #expect((4...4 + refilled).contains(granted.reduce(0, +)), "\(name): \(granted), the burst and at most \(refilled) refilled")
        }
    }
}
