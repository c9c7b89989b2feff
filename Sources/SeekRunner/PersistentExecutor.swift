import Foundation
import SeekCore
import Subprocess
import Synchronization

/// The long-lived mode of the command protocol (`seek runner --persistent`): one process reads jobs as JSON
/// lines on stdin (`{"type": "job", "job_uuid", "input", "attempt", "deadline", "output_dir"}`) and answers
/// lines tagged with their `job_uuid`, several jobs in flight, ending each with `{"type": "done"}` or
/// `{"type": "error", "message"}`. Past a job's deadline the runner sends `{"type": "cancel", "job_uuid"}` and
/// reports `timeout`. A line that names no job in flight, or is not JSON, fails every job in flight; if the
/// process exits they fail too, and the next job starts a new process.
public final class PersistentExecutor: JobExecutor, Sendable {
    private struct Pending {
        var output: WorkerOutput
        let finished: CheckedContinuation<ExecutedJob, Never>
    }

    private struct State {
        var pending: [String: Pending] = [:]
        /// Lines for the running process's stdin; nil while no process runs.
        var stdin: AsyncStream<[UInt8]>.Continuation?
    }

    public let command: WorkerCommand
    public let limits: OutputLimits
    private let state = Mutex(State())

    public init(command: WorkerCommand, limits: OutputLimits = OutputLimits()) {
        IgnoreBrokenPipes.once()
        self.command = command
        self.limits = limits
    }

    public func run(_ job: RunnerJob, outputDirectory: URL) async -> ExecutedJob {
        let deadline = ContinuousClock.now + .seconds(job.deadlineSeconds)
        let line: JSONValue = [
            "type": "job", "job_uuid": .string(job.id), "attempt": .integer(job.attempt), "input": job.input,
            "deadline": .string(Timestamp.format(Date().addingTimeInterval(Double(job.deadlineSeconds)))),
            "output_dir": .string(outputDirectory.path),
        ]
        return await withTaskGroup(of: ExecutedJob?.self) { group in
            group.addTask {
                await withCheckedContinuation { continuation in
                    self.state.withLock { $0.pending[job.id] = Pending(output: WorkerOutput(job: job, limits: self.limits), finished: continuation) }
                    self.send(line)
                }
            }
            group.addTask {
                try? await Task.sleep(until: deadline)
                return nil
            }
            let first = await group.next() ?? nil
            if let first {
                group.cancelAll()
                return first
            }
            // The deadline came first: the job is no longer in flight, whatever the process says later.
            if let pending = state.withLock({ $0.pending.removeValue(forKey: job.id) }) {
                send(["type": "cancel", "job_uuid": .string(job.id)])
                pending.finished.resume(returning: ExecutedJob(report: .timeout))
            }
            return (await group.next() ?? nil) ?? ExecutedJob(report: .timeout)
        }
    }

    /// Writes a line to the process, starting one if none runs.
    private func send(_ message: JSONValue) {
        let (stdin, fresh) = state.withLock { state -> (AsyncStream<[UInt8]>.Continuation, AsyncStream<[UInt8]>?) in
            if let stdin = state.stdin { return (stdin, nil) }
            let (stream, continuation) = AsyncStream<[UInt8]>.makeStream()
            state.stdin = continuation
            return (continuation, stream)
        }
        // The stream keeps lines until the new process reads them.
        stdin.yield(message.serialized + [UInt8(ascii: "\n")])
        if let fresh { Task { await self.runProcess(stdin: fresh) } }
    }

    /// Runs the process until it exits; then every job still in flight fails.
    private func runProcess(stdin: AsyncStream<[UInt8]>) async {
        let limits = limits
        var tail: [UInt8] = []
        var status = "could not be started"
        do {
            let result = try await Subprocess.run(
                command.subprocessExecutable,
                arguments: Arguments(command.arguments),
                environment: .inherit.updating(["SEEK_PERSISTENT": "1"]),
                input: .inputWriter,
                output: .sequence,
                error: .sequence
            ) { execution in
                await withTaskGroup(of: [UInt8]?.self) { group in
                    group.addTask {
                        for await line in stdin {
                            guard (try? await execution.standardInputWriter.write(line)) != nil else { break }
                        }
                        try? await execution.standardInputWriter.finish()
                        return nil
                    }
                    group.addTask {
                        do {
                            for try await line in execution.standardOutput.strings(bufferingPolicy: .maxLineLength(limits.maxLineBytes)) {
                                if let violation = self.take(line) {
                                    self.failAll(violation.failure)
                                    await execution.teardown(using: [.gracefulShutDown(allowedDurationToNextStep: .seconds(5))])
                                    break
                                }
                            }
                        } catch {
                            self.failAll(ProtocolViolation("An output line is longer than \(limits.maxLineBytes) bytes.").failure)
                            await execution.teardown(using: [.gracefulShutDown(allowedDurationToNextStep: .seconds(5))])
                        }
                        return nil
                    }
                    group.addTask { await execution.standardError.tail(limits.stderrTailBytes) }
                    // Stdout and stderr end when the process does; then stop writing to it.
                    var streams = 2
                    var tail: [UInt8] = []
                    while streams > 0, let next = await group.next() {
                        streams -= 1
                        if let next { tail = next }
                    }
                    self.state.withLock { $0.stdin?.finish() }
                    group.cancelAll()
                    return tail
                }
            }
            tail = result.closureResult
            status = "\(result.terminationStatus)"
        } catch {
            status = "could not be started: \(error)"
        }
        // The next job starts a new process.
        state.withLock { $0.stdin = nil }
        failAll(.workerFailed("The persistent worker process \(status)", stderr: tail))
    }

    /// One line of the process's stdout, for the job it names; a violation concerns every job in flight.
    private func take(_ line: String) -> ProtocolViolation? {
        if line.allSatisfy(\.isWhitespace) { return nil }
        guard let message = try? JSONParser.parse(Array(line.utf8)), message.objectValue != nil else {
            return ProtocolViolation("An output line is not a JSON object: \(WorkerOutput.excerpt(line)).")
        }
        guard let id = message["job_uuid"]?.stringValue else { return ProtocolViolation("An output line names no job_uuid.") }
        let finished = state.withLock { state -> (CheckedContinuation<ExecutedJob, Never>, ExecutedJob)? in
            // A line of a job that timed out (and was cancelled) is dropped.
            guard var pending = state.pending[id] else { return nil }
            switch message["type"]?.stringValue {
            case "done":
                state.pending.removeValue(forKey: id)
                return (pending.finished, ExecutedJob(report: pending.output.completed, logs: pending.output.logs))
            case "error":
                state.pending.removeValue(forKey: id)
                let failure = JobFailure(
                    code: "worker_failed",
                    message: String((message["message"]?.stringValue ?? "The worker failed.").prefix(2_048))
                )
                return (pending.finished, ExecutedJob(report: .failed(failure), logs: pending.output.logs))
            default:
                do throws(ProtocolViolation) {
                    try pending.output.take(message)
                    state.pending[id] = pending
                    return nil
                } catch {
                    state.pending.removeValue(forKey: id)
                    return (pending.finished, ExecutedJob(report: .failed(error.failure), logs: pending.output.logs))
                }
            }
        }
        if let (continuation, executed) = finished { continuation.resume(returning: executed) }
        return nil
    }

    private func failAll(_ failure: JobFailure) {
        let pending = state.withLock { state in
            defer { state.pending.removeAll() }
            return Array(state.pending.values)
        }
        for job in pending { job.finished.resume(returning: ExecutedJob(report: .failed(failure), logs: job.output.logs)) }
    }
}
