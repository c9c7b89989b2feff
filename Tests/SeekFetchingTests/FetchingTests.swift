import Foundation
import SeekCore
import SeekTestSupport
import SeekWorkers
import Synchronization
import Testing

@testable import SeekFetching

@Suite struct RobotsRulesTests {
    static let text = Array(
        """
        # Example
        User-agent: *
        Disallow: /private
        Allow: /private/open$

        User-agent: Seek
        User-agent: OtherBot
        Disallow: /search
        Allow: /search/listings
        Disallow: /*.pdf$
        Disallow:

        User-agent: Greedy
        Disallow: /
        """.utf8
    )

    @Test func ourGroupDecidesLongestMatchWins() {
        let rules = RobotsRules(parsing: Self.text, agent: "Seek")
        #expect(!rules.allows("/search?city=Lyon"))
        #expect(rules.allows("/search/listings-1.html"))
        #expect(!rules.allows("/docs/report.pdf"))
        #expect(rules.allows("/docs/report.pdf?page=2"), "$ anchors the end")
        #expect(rules.allows("/private"), "the * group does not apply to a crawler with its own group")
        #expect(rules.allows("/robots.txt"))
    }

    @Test func othersFallBackToTheStarGroup() {
        let rules = RobotsRules(parsing: Self.text, agent: "Unknown")
        #expect(!rules.allows("/private/secret"))
        #expect(rules.allows("/private/open"))
        #expect(!rules.allows("/private/open/more"))
        #expect(rules.allows("/search"))
        #expect(!RobotsRules(parsing: Self.text, agent: "greedy").allows("/anything"), "agents match without case")
    }

    @Test func tiesGoToAllowAndWildcardsMatchRuns() {
        let rules = RobotsRules(parsing: Array("User-agent: *\nDisallow: /a*c\nAllow: /a*c\nDisallow: /x*y*z".utf8), agent: "Seek")
        #expect(rules.allows("/abc"))
        #expect(!rules.allows("/x123y456z"))
        #expect(rules.allows("/x123z"))
        #expect(RobotsRules.allowAll.allows("/"))
        #expect(!RobotsRules.disallowAll.allows("/index.html"))
    }
}

@Suite struct CharsetTests {
    @Test func theWayBrowsersDecide() {
        #expect(Charset.detect([0xEF, 0xBB, 0xBF, 0x41], contentType: "text/html; charset=iso-8859-2") == "utf-8", "a BOM wins")
        #expect(Charset.detect(Array("<p>x".utf8), contentType: "text/html; charset=\"ISO-8859-2\"") == "iso-8859-2")
        #expect(Charset.detect(Array("<p>x".utf8), contentType: "text/html; charset=latin1") == "windows-1252")
        let meta = Array("<!-- <meta charset=koi8-r> --><html><head><META http-equiv=\"Content-Type\" content=\"text/html; charset=Shift_JIS\">".utf8)
        #expect(Charset.detect(meta, contentType: "text/html") == "shift_jis", "comments are skipped, attributes read without case")
        #expect(Charset.detect(Array("<meta charset='utf-16'>".utf8), contentType: "text/html") == "utf-8")
        #expect(Charset.detect(Array("caf".utf8) + [0xE9], contentType: "text/html") == "windows-1252", "not UTF-8, no label")
        #expect(Charset.detect(Array("café".utf8), contentType: "") == "utf-8")
    }

    @Test func retryAfterInSecondsOrAsADate() throws {
        #expect(RetryAfter.parse("2", now: Date()) == .seconds(2))
        let now = try #require(ISO8601DateFormatter().date(from: "2026-12-02T10:00:00Z"))
        #expect(RetryAfter.parse("Wed, 02 Dec 2026 10:00:30 GMT", now: now) == .seconds(30))
        #expect(RetryAfter.parse("soon", now: now) == nil)
    }
}

@Suite struct HostGatesTests {
    /// Counts requests in flight to one host, and the most seen at once.
    final class Counter: Sendable {
        private let state = Mutex((now: 0, most: 0))
        func enter() {
            state.withLock {
                $0.now += 1
                $0.most = max($0.most, $0.now)
            }
        }
        func leave() { state.withLock { $0.now -= 1 } }
        var most: Int { state.withLock { $0.most } }
    }

    @Test func oneRequestAtATimePerHostWhateverTheJobs() async throws {
        let gates = HostGates(concurrency: 1, delay: .zero)
        let counter = Counter()
        let other = Counter()
        try await withThrowingTaskGroup(of: Void.self) { group in
            for index in 0..<20 {
                group.addTask {
                    let (host, seen) = index.isMultiple(of: 2) ? ("a.example", counter) : ("b.example", other)
                    try await gates.run(host: host) {
                        seen.enter()
                        await Task.yield()
                        try await Task.sleep(for: .milliseconds(2))
                        seen.leave()
                    }
                }
            }
            try await group.waitForAll()
        }
        #expect(counter.most == 1)
        #expect(other.most == 1)
    }

    @Test func aCancelledWaiterLeavesTheLine() async throws {
        let gates = HostGates(concurrency: 1, delay: .zero)
        let (held, release) = AsyncStream.makeStream(of: Void.self)
        let (entered, enteredSignal) = AsyncStream.makeStream(of: Void.self)
        let holder = Task {
            try await gates.run(host: "h") {
                enteredSignal.yield()
                for await _ in held { break }
            }
        }
        for await _ in entered { break }
        let waiter = Task { try await gates.run(host: "h") { 1 } }
        waiter.cancel()
        await #expect(throws: CancellationError.self) { try await waiter.value }
        release.yield()
        try await holder.value
        let again = try await gates.run(host: "h") { 2 }
        #expect(again == 2, "the slot is free again")
    }
}

@Suite struct AddressGuardTests {
    @Test func aTrustedPrivateHostIsReachedOnItsPortOnly() async throws {
        let guardrail = AddressGuard(
            resolver: ScriptedResolver(["geo.internal": [[.v4(0x0A00_0005)]]]),
            allowPrivateTargets: false,
            trustedHosts: ["geo.internal:8080", "127.0.0.1:9000"]
        )
        let pinned = try await guardrail.pin("http://geo.internal:8080/search")
        #expect(pinned.address == .v4(0x0A00_0005))
        _ = try await guardrail.pin("http://127.0.0.1:9000/")
        await #expect(throws: WebhookRefusal.self) { _ = try await guardrail.pin("http://127.0.0.1:9001/") }
        await #expect(throws: WebhookRefusal.self) { _ = try await guardrail.pin("http://169.254.169.254/latest/meta-data/") }
    }
}
