import Foundation
import SeekCore
import SeekRunner
import Testing

extension RunnerJob {
    static func sample(_ kind: ResultEnvelope.Kind = .object, deadline: Int = 30, input: JSONValue = ["n": 1]) -> RunnerJob {
        RunnerJob(id: "job_01ARZ3NDEKTSV4RRFFQ69G5FAV", attempt: 1, input: input, deadlineSeconds: deadline, outputKind: kind, event: "item")
    }
}

@Suite("The command protocol's output")
struct WorkerOutputTests {
    @Test("data, items, meta, warnings and logs make the result; blank lines are fine")
    func collects() throws {
        var output = WorkerOutput(job: .sample(.list), limits: OutputLimits())
        for line in [
            #"{"type": "item", "item": {"a": 1}}"#, "", #"{"type": "item", "item": 2}"#, #"{"type": "meta", "meta": {"total": 2}}"#,
            #"{"type": "warning", "message": "careful"}"#, #"{"type": "log", "message": "working"}"#,
        ] {
            try output.take(line)
        }
        #expect(output.result == .list([["a": 1], 2], meta: ["total": 2, "warnings": ["careful"]]))
        #expect(output.logs == ["working"])
        #expect(output.completed == .completed(output.result, events: 2), "items are the events without charge lines")
    }

    @Test("charge lines replace the item count, and must name the worker's event")
    func charges() throws {
        var output = WorkerOutput(job: .sample(.object), limits: OutputLimits())
        try output.take(#"{"type": "data", "data": {"ok": true}}"#)
        try output.take(#"{"type": "charge", "event": "item", "count": 3}"#)
        try output.take(#"{"type": "charge", "count": 2}"#)
        #expect(output.completed == .completed(.object(["ok": true]), events: 5))
        #expect(throws: ProtocolViolation.self) { try output.take(#"{"type": "charge", "event": "email", "count": 1}"#) }
        #expect(throws: ProtocolViolation.self) { try output.take(#"{"type": "charge", "count": -1}"#) }
    }

    @Test(
        "a malformed line or a limit passed is a violation with a clear message",
        arguments: [
            ("not json", "not a JSON object"), ("[1, 2]", "not a JSON object"), (#"{"type": "shout"}"#, "no known type"),
            (#"{"type": "data"}"#, "needs a data member"), (#"{"type": "meta", "meta": 1}"#, "meta object"),
        ]
    )
    func malformed(line: String, message: String) {
        var output = WorkerOutput(job: .sample(), limits: OutputLimits())
        #expect { try output.take(line) } throws: { ($0 as? ProtocolViolation)?.message.contains(message) == true }
    }

    @Test("limits on items, bytes and logs hold")
    func limits() throws {
        var limits = OutputLimits()
        limits.maxItems = 2
        limits.maxLogBytes = 10
        limits.maxBytes = 200
        var output = WorkerOutput(job: .sample(.list), limits: limits)
        try output.take(#"{"type": "item", "item": 1}"#)
        try output.take(#"{"type": "item", "item": 2}"#)
        #expect(throws: ProtocolViolation.self) { try output.take(#"{"type": "item", "item": 3}"#) }
        #expect(throws: ProtocolViolation.self) { try output.take(#"{"type": "log", "message": "more than ten bytes"}"#) }
        #expect(throws: ProtocolViolation.self) { try output.take(String(repeating: " ", count: 300)) }
    }
}

@Suite("One process per job")
struct ProcessPerJobTests {
    /// Runs `script` under /bin/sh as the worker.
    func run(_ script: String, job: RunnerJob = .sample(), grace: Duration = .seconds(5)) async throws -> ExecutedJob {
        let directory = URL(fileURLWithPath: NSTemporaryDirectory()).appendingPathComponent("seek-runner-test-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: directory, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(at: directory) }
        let executor = ProcessPerJobExecutor(command: try WorkerCommand(["/bin/sh", "-c", script]), killGrace: grace)
        return await executor.run(job, outputDirectory: directory)
    }

    @Test("the input arrives on stdin and the job's facts in the environment; exit 0 completes")
    func completes() async throws {
        let executed = try await run(
            #"read input; printf '{"type":"data","data":{"input":%s,"job":"%s","attempt":"%s","dir":%s}}\n' "$input" "$SEEK_JOB_UUID" "$SEEK_ATTEMPT" "$( [ -d "$SEEK_OUTPUT_DIR" ] && echo true || echo false )""#
        )
        guard case let .completed(result, _, _) = executed.report else {
            Issue.record("not completed: \(executed.report)")
            return
        }
        #expect(result.data == ["input": ["n": 1], "job": "job_01ARZ3NDEKTSV4RRFFQ69G5FAV", "attempt": "1", "dir": true])
    }

    @Test("any other exit fails with the end of stderr")
    func failsWithStderr() async throws {
        let executed = try await run("echo 'first line' >&2; echo 'the reason' >&2; exit 7")
        #expect(executed.report == .failed(JobFailure(code: "worker_failed", message: "The worker exited with status 7: first line\nthe reason")))
    }

    @Test("a malformed line fails the job and stops the process")
    func malformed() async throws {
        let executed = try await run("echo nonsense; sleep 60")
        guard case let .failed(failure) = executed.report else {
            Issue.record("not failed: \(executed.report)")
            return
        }
        #expect(failure.code == "protocol_error" && failure.message.contains("not a JSON object"))
    }

    @Test("past the deadline SIGTERM, then SIGKILL after the grace period, ends the job as timeout")
    func deadline() async throws {
        // The worker ignores SIGTERM: only the SIGKILL that follows the grace period stops it.
        let executed = try await run("trap '' TERM; while true; do sleep 0.1; done", job: .sample(deadline: 1), grace: .milliseconds(200))
        #expect(executed.report == .timeout)
    }

    @Test("a command that does not exist fails the job")
    func missing() async throws {
        let executor = ProcessPerJobExecutor(command: try WorkerCommand(["/nonexistent/worker"]))
        let executed = await executor.run(.sample(), outputDirectory: URL(fileURLWithPath: NSTemporaryDirectory()))
        guard case let .failed(failure) = executed.report else {
            Issue.record("not failed")
            return
        }
        #expect(failure.code == "worker_unavailable")
    }
}
