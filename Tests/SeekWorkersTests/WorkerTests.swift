import Logging
import SeekCore
import SeekTestSupport
import Synchronization
import Testing

@testable import SeekWorkers

/// Saves one file, counts events and warns, as a file-producing per-event worker would.
struct ReportingWorker: Worker {
    let manifest = WorkerManifest(
        id: "reports",
        name: "Reports",
        description: "",
        version: "1",
        inputSchema: true,
        outputKind: .list,
        pricing: .perEvent(1, maxEvents: 10),
        maxDurationSeconds: 10
    )

    func run(_ input: JSONValue, context: WorkerContext) async throws -> ResultEnvelope {
        try await context.save(name: "a.txt", contentType: "text/plain", bytes: Array("a".utf8))
        context.recordEvents(3)
        context.recordEvents(-5)
        context.warn("partial")
        return .list([1, 2, 3])
    }
}

@Suite("The built-in workers")
struct BuiltInWorkerTests {
    @Test("echo returns its input as the result's data")
    func echo() async throws {
        let result = try await EchoWorker().run(["a": [1, "b"]], context: context())
        #expect(result == .object(["a": [1, "b"]]))
        #expect(result.json["kind"] == "object" && result.json["items"] == [])
    }

    @Test("sleep waits, and a cancelled sleep ends at once")
    func sleep() async throws {
        let clock = ContinuousClock()
        let start = clock.now
        let result = try await SleepWorker().run(["ms": 30], context: context())
        #expect(result == .object(["slept_ms": 30]))
        #expect(clock.now - start >= .milliseconds(30))
        let long = Task { try await SleepWorker().run(["ms": 300_000], context: context()) }
        long.cancel()
        await #expect(throws: CancellationError.self) { _ = try await long.value }
    }

    @Test("what a worker reports through its context is collected: files, events (never negative), warnings")
    func reports() async throws {
        let report = WorkerReport()
        let files = MemoryFiles()
        let result = try await ReportingWorker().run([:], context: context(report: report, files: files))
        #expect(result.items.count == 3)
        let totals = report.current
        #expect(totals.events == 3)
        #expect(totals.warnings == ["partial"])
        let file = try #require(totals.files.first)
        #expect(totals.files.count == 1 && file.name == "a.txt" && file.sizeBytes == 1)
        #expect(files.bytes(file.id) == Array("a".utf8))
    }
}

@Suite("The worker registry")
struct WorkerRegistryTests {
    @Test("lists workers by id and pages them with a cursor")
    func pages() throws {
        let registry = try WorkerRegistry.builtIn()
        try registry.register(ReportingWorker())
        #expect(registry.ids == ["echo", "reports", "sleep"])
        let first = registry.page(after: nil, limit: 2)
        #expect(first.manifests.map(\.id) == ["echo", "reports"] && first.hasMore)
        let second = registry.page(after: "reports", limit: 2)
        #expect(second.manifests.map(\.id) == ["sleep"] && !second.hasMore)
    }

    @Test("refuses a taken id, a bad slug and a schema that does not compile; a removed worker is gone")
    func refuses() throws {
        let registry = try WorkerRegistry.builtIn()
        #expect(throws: SeekError.self) { try registry.register(EchoWorker()) }
        var bad = ReportingWorker().manifest
        bad.id = "Not A Slug"
        #expect(throws: SeekError.self) { try registry.register(ManifestOnly(manifest: bad)) }
        var uncompilable = ReportingWorker().manifest
        uncompilable.id = "broken"
        uncompilable.inputSchema = ["type": "string", "pattern": "(unclosed"]
        #expect(throws: SeekError.self) { try registry.register(ManifestOnly(manifest: uncompilable)) }
        registry.remove("echo")
        #expect(registry["echo"] == nil)
        #expect(throws: SeekError.notFound("Worker echo")) { try registry.entry("echo") }
        #expect(registry.ids == ["sleep"])
    }
}

/// A worker that is only its manifest.
struct ManifestOnly: Worker {
    let manifest: WorkerManifest
    func run(_ input: JSONValue, context: WorkerContext) async throws -> ResultEnvelope { .object(input) }
}
