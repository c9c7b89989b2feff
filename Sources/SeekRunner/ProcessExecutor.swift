import Foundation
import SeekCore
import Subprocess

#if canImport(System)
import System
#else
import SystemPackage
#endif

/// The program a runner runs for its worker: an executable (a path, or a name looked up in `PATH`) and its
/// arguments.
public struct WorkerCommand: Sendable, Equatable {
    public var executable: String
    public var arguments: [String]

    public init(_ words: [String]) throws(SeekError) {
        guard let first = words.first, !first.isEmpty else { throw SeekError(.badRequest, "A worker command is required after --.") }
        executable = first
        arguments = Array(words.dropFirst())
    }

    var subprocessExecutable: Executable { executable.contains("/") ? .path(FilePath(executable)) : .name(executable) }
}

/// A worker that exits without reading all its input closes the pipe the runner writes the input into; that
/// write must fail with EPIPE, not kill the runner with SIGPIPE.
enum IgnoreBrokenPipes {
    private static let ignored: Void = { _ = signal(SIGPIPE, SIG_IGN) }()
    static func once() { ignored }
}

/// How a run went, before it is reported: the report, and the files the worker left in its output directory.
public struct ExecutedJob: Sendable {
    public var report: RunnerReport
    public var logs: [String]

    public init(report: RunnerReport, logs: [String] = []) {
        self.report = report
        self.logs = logs
    }
}

/// Runs jobs for a remote runner.
public protocol JobExecutor: Sendable {
    /// Runs `job` to a report; never throws: whatever goes wrong ends the job `failed` or `timeout`.
    func run(_ job: RunnerJob, outputDirectory: URL) async -> ExecutedJob
}

/// One process per job (the command protocol's default mode): the input on stdin, `SEEK_JOB_UUID`,
/// `SEEK_OUTPUT_DIR`, `SEEK_DEADLINE` and `SEEK_ATTEMPT` in the environment, JSON lines on stdout. Exit 0
/// completes the job; any other exit fails it with the end of stderr; past the deadline the process group
/// gets SIGTERM, then SIGKILL `killGrace` later, and the job ends `timeout`.
public struct ProcessPerJobExecutor: JobExecutor {
    public let command: WorkerCommand
    public let limits: OutputLimits
    public let killGrace: Duration

    public init(command: WorkerCommand, limits: OutputLimits = OutputLimits(), killGrace: Duration = .seconds(5)) {
        IgnoreBrokenPipes.once()
        self.command = command
        self.limits = limits
        self.killGrace = killGrace
    }

    private enum Event: Sendable {
        case stdout(Result<WorkerOutput, ProtocolViolation>)
        case stderr([UInt8])
        case deadline
    }

    private struct Collected: Sendable {
        var output: Result<WorkerOutput, ProtocolViolation>?
        var stderrTail: [UInt8] = []
        var timedOut = false
    }

    public func run(_ job: RunnerJob, outputDirectory: URL) async -> ExecutedJob {
        let deadline = ContinuousClock.now + .seconds(job.deadlineSeconds)
        let wallDeadline = Date().addingTimeInterval(Double(job.deadlineSeconds))
        var options = PlatformOptions()
        // Its own session, so that the deadline's signals reach whatever the worker started too.
        options.createSession = true
        let environment: [Environment.Key: String?] = [
            "SEEK_JOB_UUID": job.id, "SEEK_OUTPUT_DIR": outputDirectory.path, "SEEK_ATTEMPT": "\(job.attempt)",
            "SEEK_DEADLINE": Timestamp.format(wallDeadline),
        ]
        let limits = limits
        let killGrace = killGrace
        do {
            let result = try await Subprocess.run(
                command.subprocessExecutable,
                arguments: Arguments(command.arguments),
                environment: .inherit.updating(environment),
                platformOptions: options,
                // Written from the body, not as `.array`: a worker that exits without reading its input makes
                // the write fail, which must not fail the run (the exit status says how it went).
                input: .inputWriter,
                output: .sequence,
                error: .sequence
            ) { execution in
                let input = Array(job.input.serializedString.utf8)
                return await withTaskGroup(of: Event?.self, returning: Collected.self) { group in
                    group.addTask {
                        _ = try? await execution.standardInputWriter.write(input)
                        try? await execution.standardInputWriter.finish()
                        return nil
                    }
                    group.addTask {
                        var output = WorkerOutput(job: job, limits: limits)
                        do {
                            for try await line in execution.standardOutput.strings(bufferingPolicy: .maxLineLength(limits.maxLineBytes)) {
                                try output.take(line)
                            }
                            return .stdout(.success(output))
                        } catch let violation as ProtocolViolation {
                            return .stdout(.failure(violation))
                        } catch {
                            return .stdout(.failure(ProtocolViolation("An output line is longer than \(limits.maxLineBytes) bytes.")))
                        }
                    }
                    group.addTask {
                        .stderr(await execution.standardError.tail(limits.stderrTailBytes))
                    }
                    group.addTask {
                        try? await Task.sleep(until: deadline)
                        return .deadline
                    }
                    var collected = Collected()
                    var streamsOpen = 2
                    let stop: [TeardownStep] = [.gracefulShutDown(toProcessGroup: true, allowedDurationToNextStep: killGrace)]
                    while streamsOpen > 0, let next = await group.next() {
                        guard let event = next else { continue }
                        switch event {
                        case let .stdout(output):
                            collected.output = output
                            streamsOpen -= 1
                            if case .failure = output { await execution.teardown(using: stop) }
                        case let .stderr(tail):
                            collected.stderrTail = tail
                            streamsOpen -= 1
                        case .deadline:
                            collected.timedOut = true
                            await execution.teardown(using: stop)
                        }
                    }
                    group.cancelAll()
                    return collected
                }
            }
            return Self.report(result.closureResult, status: result.terminationStatus)
        } catch {
            let failure = JobFailure(code: "worker_unavailable", message: "The runner could not start \(command.executable): \(error).")
            return ExecutedJob(report: .failed(failure))
        }
    }

    private static func report(_ collected: Collected, status: TerminationStatus) -> ExecutedJob {
        if collected.timedOut { return ExecutedJob(report: .timeout) }
        guard case let .success(output) = collected.output else {
            if case let .failure(violation) = collected.output { return ExecutedJob(report: .failed(violation.failure)) }
            return ExecutedJob(report: .failed(JobFailure(code: "worker_failed", message: "The worker's output could not be read.")))
        }
        switch status {
        case .exited(0):
            return ExecutedJob(report: output.completed, logs: output.logs)
        case let .exited(code):
            return ExecutedJob(
                report: .failed(.workerFailed("The worker exited with status \(code)", stderr: collected.stderrTail)),
                logs: output.logs
            )
        case let .signaled(signal):
            return ExecutedJob(
                report: .failed(.workerFailed("The worker was killed by signal \(signal)", stderr: collected.stderrTail)),
                logs: output.logs
            )
        }
    }
}

extension SubprocessOutputSequence {
    /// The last `limit` bytes of the stream, read to its end: what is kept of a worker's stderr.
    func tail(_ limit: Int) async -> [UInt8] {
        var tail: [UInt8] = []
        do {
            for try await buffer in self {
                buffer.withUnsafeBytes { tail.append(contentsOf: $0) }
                if tail.count > 2 * limit { tail.removeFirst(tail.count - limit) }
            }
        } catch {}
        return Array(tail.suffix(limit))
    }
}

extension JobFailure {
    /// A worker process that ended badly: what happened, then the end of its stderr.
    static func workerFailed(_ what: String, stderr: [UInt8]) -> JobFailure {
        let tail = String(decoding: stderr, as: UTF8.self).trimmingCharacters(in: .whitespacesAndNewlines)
        return JobFailure(code: "worker_failed", message: what + (tail.isEmpty ? "." : ": \(tail)"))
    }
}
