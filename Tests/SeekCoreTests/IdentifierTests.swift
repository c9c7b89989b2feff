import Foundation
import Testing

@testable import SeekCore

@Suite("Identifiers and secrets")
struct IdentifierTests {
    @Test("ids are prefixed ULIDs that sort in creation order")
    func ulidOrder() {
        let ids = (0..<2000).map { _ in IDKind.job.make() }
        #expect(ids == ids.sorted())
        #expect(Set(ids).count == ids.count)
        #expect(ids.allSatisfy { IDKind.job.matches($0) && $0.count == 30 })
    }

    @Test("ids from a later millisecond sort after")
    func timeOrder() {
        let early = IDKind.txn.make(now: Date(timeIntervalSince1970: 1_700_000_000))
        let late = IDKind.txn.make(now: Date(timeIntervalSince1970: 1_800_000_000))
        #expect(early < late)
    }

    @Test(
        "malformed and foreign ids do not match",
        arguments: [
            "job_", "job_123", "ws_01ARZ3NDEKTSV4RRFFQ69G5FAV", "job_01ARZ3NDEKTSV4RRFFQ69G5FAU!", "JOB_01ARZ3NDEKTSV4RRFFQ69G5FAV",
            "job_01arz3ndektsv4rrffq69g5fav", "job_01ARZ3NDEKTSV4RRFFQ69G5FAVX",
        ]
    )
    func rejects(_ text: String) {
        #expect(!IDKind.job.matches(text))
    }

    @Test("API keys are sk_live_ plus 43 base62 characters; only their hash is stored")
    func apiKeys() {
        let key = Secrets.makeAPIKey()
        #expect(key.hasPrefix("sk_live_"))
        #expect(key.count == 51)
        #expect(key.dropFirst(8).allSatisfy { $0.isLetter || $0.isNumber })
        #expect(Secrets.hashAPIKey(key).count == 64)
        #expect(Secrets.hashAPIKey(key) != Secrets.hashAPIKey(Secrets.makeAPIKey()))
        #expect(Secrets.displayPrefix(of: key) == String(key.prefix(12)))
    }

    @Test(
        "worker slugs",
        arguments: [
            ("echo", true), ("image-format-converter", true), ("a", false), ("-echo", false), ("Echo", false),
            ("e_cho", false), (String(repeating: "a", count: 64), false),
        ]
    )
    func slugs(_ text: String, _ valid: Bool) {
        #expect(WorkerSlug.isValid(text) == valid)
    }

    @Test("timestamps are RFC 3339 UTC with milliseconds")
    func timestamps() {
        #expect(Timestamp.format(Date(timeIntervalSince1970: 1_773_655_200.123)) == "2026-03-16T10:00:00.123Z")
    }
}
