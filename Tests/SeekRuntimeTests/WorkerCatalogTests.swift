import SeekCore
import SeekStore
import SeekTestSupport
import SeekWorkers
import Testing

@testable import SeekRuntime

@Suite("The worker catalog's cache")
struct WorkerCatalogTests {
    /// The error code of looking `id` up for `workspaceID`, or nil when it is found.
    private func lookUp(_ catalog: WorkerCatalog, _ id: String, for workspaceID: String) async throws -> SeekError.Code? {
        do {
            _ = try await catalog.entry(id, for: workspaceID)
            return nil
        } catch let error as SeekError {
            return error.code
        }
    }

    @Test("an unknown id stays a 404 until a worker takes it: made here, found at once; made by another process, within the interval")
    func missesAreForgottenWhenWorkersChange() async throws {
        let fixture = try await StoreFixture()
        let owner = try await fixture.workspace(credits: 0)
        let caller = try await fixture.workspace(credits: 0)
        let clock = HandClock()
        let catalog = WorkerCatalog(builtIn: try WorkerRegistry(), store: fixture.store, epochCheckInterval: .seconds(1), now: { clock.now })

        #expect(try await lookUp(catalog, "late", for: caller) == .notFound)
        #expect(try await lookUp(catalog, "late", for: caller) == .notFound, "asked again, still none")
        _ = try await catalog.create(.sample("late"), owner: owner)
        _ = try await catalog.setListed("late", true, owner: owner)
        #expect(try await lookUp(catalog, "late", for: caller) == nil, "made through this catalog: found at once")

        #expect(try await lookUp(catalog, "later", for: caller) == .notFound)
        let other = try await fixture.another()
        _ = try await other.createWorker(.sample("later"), owner: owner)
        _ = try await other.setWorkerState(id: "later", owner: owner, .published)
        clock.advance(.milliseconds(999))
        #expect(try await lookUp(catalog, "later", for: caller) == .notFound, "within the interval the miss stands")
        clock.advance(.milliseconds(1))
        #expect(try await lookUp(catalog, "later", for: caller) == nil, "made by another process: found after the interval")
    }
}
