import Foundation
import SeekTestSupport
import Testing

@testable import SeekCore
@testable import SeekStore

@Suite("Store contract: published workers and earnings")
struct WorkerStoreContractTests {
    @Test("a worker is made a draft, gets versions, is listed and unlisted; only its owner changes it", arguments: StoreKind.available)
    func lifecycle(kind: StoreKind) async throws {
        let fixture = try await StoreFixture(kind)
        let (owner, other) = (try await fixture.workspace(credits: 0), try await fixture.workspace(credits: 0))
        let store = fixture.store
        let epoch = try await store.workersEpoch()

        let draft = try await store.createWorker(.sample(), owner: owner)
        #expect(draft.state == .draft && draft.current.number == 1 && draft.ownerWorkspaceID == owner)
        #expect(try await store.workersEpoch() > epoch, "a change moves the epoch every process reads")
        await expectSeekError(.unprocessableEntity, "an id taken") { _ = try await store.createWorker(.sample(), owner: other) }
        #expect(try await store.publishedWorkers(owner: nil).isEmpty, "a draft is not listed")

        let second = try await store.addVersion(.sample(version: "1.1.0", credits: 20), owner: owner)
        #expect(second.current.number == 2 && second.current.manifest.pricing.creditsPerRun == 20)
        await expectSeekError(.unprocessableEntity, "a version used before") {
            _ = try await store.addVersion(.sample(version: "1.0.0"), owner: owner)
        }
        await expectSeekError(.notFound, "another workspace's new version") {
            _ = try await store.addVersion(.sample(version: "2.0.0"), owner: other)
        }
        await expectSeekError(.notFound, "another workspace's publish") { _ = try await store.setWorkerState(id: "sample", owner: other, .published) }

        #expect(try await store.setWorkerState(id: "sample", owner: owner, .published).state == .published)
        #expect(try await store.publishedWorkers(owner: nil).map(\.id) == ["sample"])
        #expect(try await store.setWorkerState(id: "sample", owner: owner, .unpublished).state == .unpublished)
        #expect(try await store.publishedWorkers(owner: nil).isEmpty)
        #expect(try await store.publishedWorkers(owner: owner).map(\.current.number) == [2])

        // Old versions stay readable: a job keeps the version it was submitted with.
        #expect(try await store.workerVersion(id: "sample", number: 1)?.manifest.pricing.creditsPerRun == 10)
        #expect(try await store.workerVersion(id: "sample", number: 3) == nil)
        #expect(try await fixture.another().publishedWorker(id: "sample")?.current.number == 2, "what one process wrote, another reads")
    }

    @Test("a completed job pays its publisher the charge less the fee, in the commit that charges it", arguments: StoreKind.available)
    func earnings(kind: StoreKind) async throws {
        let fixture = try await StoreFixture(kind)
        let (publisher, caller) = (try await fixture.workspace(credits: 0), try await fixture.workspace(credits: 100))
        let share = PublisherShare(workspaceID: publisher, fee: try PlatformFee(percent: 20))
        let job = try await fixture.store.submit(try fixture.submission(caller, worker: "w", credits: 10, publisher: share)).job
        #expect(job.workerVersion == "1.0.0")
        let claimed = try #require(try await fixture.claim(1, by: "runner").first)
        #expect(claimed.workerVersion == 1)
        #expect(try await fixture.finish(claimed, by: "runner", .completed(.object([:]), files: [], cost: .init(runCredits: 10, infraCredits: 0))))
        #expect(try await fixture.checkedBalance(caller) == CreditBalance(balance: 90, reserved: 0))
        #expect(try await fixture.checkedBalance(publisher) == CreditBalance(balance: 8, reserved: 0))
        let usage = try await fixture.store.usage(workspaceID: publisher, month: UTCMonth(Date()))
        #expect(usage.earned.credits == 8 && usage.earned.jobs == 1 && usage.earned.byWorker.map(\.key) == ["w"])
        #expect(usage.spent.credits == 0)
        #expect(
            try await fixture.store.jobsEnded(workerIDs: ["w"], from: Date().addingTimeInterval(-60), until: Date().addingTimeInterval(60)) == [
                "w": 1
            ]
        )

        // A failed job charges nothing, so it pays nothing.
        _ = try await fixture.store.submit(try fixture.submission(caller, worker: "w", credits: 10, publisher: share))
        let failing = try #require(try await fixture.claim(1, by: "runner").first)
        #expect(try await fixture.finish(failing, by: "runner", .failed(JobFailure(code: "x", message: "y"))))
        #expect(try await fixture.checkedBalance(publisher) == CreditBalance(balance: 8, reserved: 0))
        #expect(try await fixture.checkedBalance(caller) == CreditBalance(balance: 90, reserved: 0))
    }
}

@Suite("Platform fee")
struct PlatformFeeTests {
    @Test("the fee rounds up, so a publisher is never paid credits the platform did not collect")
    func rounding() throws {
        let fee = try PlatformFee(percent: 20)
        #expect(fee.earning(of: 10) == 8)
        #expect(fee.earning(of: 1) == 0)
        #expect(fee.earning(of: 7) == 5)
        #expect(fee.earning(of: 0) == 0)
        #expect(try PlatformFee(percent: 0).earning(of: 7) == 7)
        #expect(throws: SeekError.self) { try PlatformFee(percent: 101) }
    }
}
