import ArgumentParser
import Foundation
import SeekClient
import SeekCore

#if canImport(Glibc)
import Glibc
#endif

/// What every user command needs to reach the API: a key and a base URL, from the flags, the environment or
/// the profile `seek login` wrote, in that order.
struct ClientOptions: ParsableArguments {
    @Option(name: .customLong("api-key"), help: "The workspace's API key (env SEEK_API_KEY, else the login profile).") var apiKey: String?
    @Option(name: .customLong("api-base"), help: "The server (env SEEK_API_BASE, else the login profile, else http://127.0.0.1:8080).")
    var apiBase: String?

    /// Runs `body` with a client, an API refusal becoming exit 3.
    func call(_ body: (SeekClient) async throws -> Void) async throws {
        let seek = try client()
        try await ClientExit.guarding { try await body(seek) }
    }

    /// Prints what `fetch` answers, as JSON.
    func printJSON(_ fetch: (SeekClient) async throws -> some Encodable) async throws {
        try await call { seek in try Output.json(try await fetch(seek)) }
    }

    func client() throws -> SeekClient {
        let profile = Profile.load()
        var environment = ProcessInfo.processInfo.environment
        if let key = apiKey ?? Environment.value("SEEK_API_KEY") ?? Environment.value("SEEKAPI_KEY") ?? profile?.apiKey {
            environment["SEEK_API_KEY"] = key
        }
        if let base = apiBase ?? Environment.value("SEEK_API_BASE") ?? profile?.apiBase { environment["SEEK_API_BASE"] = base }
        do {
            return try SeekClient(environment: environment)
        } catch {
            throw ValidationError("\(error) Or run `seek login`.")
        }
    }
}

/// `seek login`'s saved key: `$XDG_CONFIG_HOME/seek/config.json` (else `~/.config/seek/config.json`), mode 0600.
struct Profile: Codable {
    var apiKey: String
    var apiBase: String?

    enum CodingKeys: String, CodingKey {
        case apiKey = "api_key"
        case apiBase = "api_base"
    }

    static var url: URL {
        let base =
            Environment.value("XDG_CONFIG_HOME").map { URL(fileURLWithPath: $0) }
            ?? URL(fileURLWithPath: NSHomeDirectory()).appendingPathComponent(".config")
        return base.appendingPathComponent("seek/config.json")
    }

    static func load() -> Profile? {
        guard let data = try? Data(contentsOf: url) else { return nil }
        return try? JSONDecoder().decode(Profile.self, from: data)
    }

    func save() throws {
        let url = Self.url
        try FileManager.default.createDirectory(at: url.deletingLastPathComponent(), withIntermediateDirectories: true)
        // Created with 0600 before the key is written: the key is never readable by others, not even briefly.
        guard FileManager.default.createFile(atPath: url.path, contents: nil, attributes: [.posixPermissions: 0o600]) else {
            throw CocoaError(.fileWriteUnknown, userInfo: [NSFilePathErrorKey: url.path])
        }
        try FileManager.default.setAttributes([.posixPermissions: 0o600], ofItemAtPath: url.path)
        try JSONEncoder().encode(self).write(to: url)
    }
}

/// The exit codes of the user commands: 0 done, 1 the job did not complete, 2 usage, 3 the API refused.
enum ClientExit {
    static let jobDidNotComplete = ExitCode(1)
    static let usage = ExitCode(2)
    static let apiError = ExitCode(3)

    /// Runs a command's body, printing an API refusal (with a 422's fields) on stderr as exit 3.
    static func guarding(_ body: () async throws -> Void) async throws {
        do {
            try await body()
        } catch let error as SeekAPIError {
            Output.error("Error: \(error.message) (\(error.status) \(error.code)\(error.requestID.map { ", \($0)" } ?? ""))")
            for detail in error.details { Output.error("  \(detail.path.isEmpty ? "(input)" : detail.path): \(detail.message)") }
            throw apiError
        } catch let error as SeekClientError {
            Output.error("Error: \(error)")
            throw apiError
        }
    }
}

enum Output {
    static func error(_ line: String) { FileHandle.standardError.write(Data((line + "\n").utf8)) }

    static func json(_ value: some Encodable) throws { print(String(decoding: try JSONEncoder.seek.encode(value), as: UTF8.self)) }

    static var isTerminal: Bool { isatty(STDOUT_FILENO) == 1 }

    /// Columns padded to their widest cell.
    static func table(_ rows: [[String]]) {
        guard let first = rows.first else { return }
        let widths = first.indices.map { column in rows.map { $0[column].count }.max() ?? 0 }
        for row in rows {
            print(
                row.enumerated().map { $1.padding(toLength: widths[$0], withPad: " ", startingAt: 0) }.joined(separator: "  ").trimmingCharacters(
                    in: .whitespaces
                )
            )
        }
    }
}

// MARK: seek run

struct RunCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "run",
        abstract: "Run a worker's job and show it to its end.",
        discussion: "Exit status: 0 completed, 1 failed, timed out or cancelled, 2 usage, 3 the API refused."
    )

    @Argument(help: "The worker's id (`seek workers list`).") var worker: String
    @Option(help: "The input, a JSON object: a file, or - for stdin.") var input: String?
    @Option(name: .customLong("set"), help: "key=value, merged over --input; the value is read as JSON when it is JSON, else as a string.")
    var assignments: [String] = []
    @Flag(inversion: .prefixedNo, help: "Wait for the job to end (with --no-wait, print its id once queued).") var wait = true
    @Flag(help: "Print the job as JSON.") var json = false
    @OptionGroup var connection: ClientOptions

    func run() async throws {
        let body = try JobInput.make(file: input, assignments: assignments)
        try await connection.call { seek in
            guard wait else {
                let submitted = try await seek.submit(worker: worker, input: body, idempotencyKey: "cli_" + UUID().uuidString)
                print(submitted.jobID)
                return
            }
            let job = try await JobProgress(json: json).follow(seek) { onEvent in
                try await seek.run(worker: worker, input: body, onEvent: onEvent)
            }
            try JobProgress.finish(job, json: json)
        }
    }
}

/// A job's input from `--input` and `--set`.
enum JobInput {
    static func make(file: String?, assignments: [String]) throws -> JSONValue {
        var members: [(String, JSONValue)] = []
        if let file {
            let data = file == "-" ? FileHandle.standardInput.readDataToEndOfFile() : try readFile(file)
            guard case .object(let object) = try? JSONParser.parse(Array(data)) else {
                throw ValidationError("--input \(file) is not a JSON object.")
            }
            members = Array(object.map { ($0.key, $0.value) })
        }
        for assignment in assignments {
            guard let equals = assignment.firstIndex(of: "="), equals != assignment.startIndex else {
                throw ValidationError("--set takes key=value; got \(assignment).")
            }
            let key = String(assignment[..<equals])
            let text = String(assignment[assignment.index(after: equals)...])
            let value = (try? JSONParser.parse(text)) ?? .string(text)
            members.removeAll { $0.0 == key }
            members.append((key, value))
        }
        return .object(.init(members, uniquingKeysWith: { _, last in last }))
    }

    private static func readFile(_ path: String) throws -> Data {
        do {
            return try Data(contentsOf: URL(fileURLWithPath: path))
        } catch {
            throw ValidationError("Cannot read --input \(path).")
        }
    }
}

/// Shows a job as it goes: one line redrawn on a terminal (status, elapsed time, items so far), plain lines
/// for each status otherwise; nothing with --json but the job at its end.
final class JobProgress: @unchecked Sendable {
    private let json: Bool
    private let terminal = Output.isTerminal
    private let started = Date()
    private let lock = NSLock()
    private var status = "submitting"
    private var items: Int?

    init(json: Bool) { self.json = json }

    func follow(
        _ seek: SeekClient,
        _ body: (@escaping @Sendable (JobEvent) async -> Void) async throws -> Components.Schemas.Job
    ) async throws -> Components.Schemas.Job {
        let ticker = Task { [self] in
            // Elapsed time moves on a terminal even while no event comes.
            while terminal && !json && !Task.isCancelled {
                draw()
                try? await Task.sleep(for: .milliseconds(200))
            }
        }
        defer {
            ticker.cancel()
            if terminal && !json { print("\r\u{1B}[K", terminator: "") }
        }
        return try await body { [self] event in self.record(event) }
    }

    private func record(_ event: JobEvent) {
        lock.withLock {
            if event.kind == .item { items = event.count }
            if event.kind == .status, let next = event.status { status = next }
        }
        guard !json else { return }
        if terminal {
            if event.kind == .log || event.kind == .warning, let message = event.message {
                print("\r\u{1B}[K\(event.name): \(message)")
            }
            draw()
        } else if event.kind == .status, let next = event.status {
            print("\(event.jobID ?? "job") \(next) \(elapsed)")
        }
    }

    private var elapsed: String { String(format: "%.1fs", Date().timeIntervalSince(started)) }

    private func draw() {
        let (status, items) = lock.withLock { (self.status, self.items) }
        let counted = items.map { ", \($0) items" } ?? ""
        print("\r\u{1B}[K\(status) \(elapsed)\(counted)", terminator: "")
        fflush(nil)  // every stream: Glibc's `stdout` is a global Swift 6 will not touch
    }

    /// Prints the ended job and exits 1 unless it completed.
    static func finish(_ job: Components.Schemas.Job, json: Bool) throws {
        if json {
            try Output.json(job)
        } else {
            let cost = job.costCredits.map { ", \($0) credit\($0 == 1 ? "" : "s")" } ?? ""
            let took = job.durationMs.map { " in \(String(format: "%.1fs", Double($0) / 1000))" } ?? ""
            print("\(job.jobUuid) \(job.status.rawValue)\(took)\(cost)")
            if let error = job.error { print("\(error.code): \(error.message)") }
            if let result = job.result { print(String(decoding: try JSONEncoder.seek.encode(result), as: UTF8.self)) }
            for file in job.files { print("file \(file.id) \(file.name) \(file.sizeBytes) bytes") }
        }
        guard job.status == .completed else { throw ClientExit.jobDidNotComplete }
    }
}

// MARK: seek workers, jobs, files, credits, keys, login

struct WorkersCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "workers",
        abstract: "The marketplace's workers.",
        subcommands: [List.self, Show.self]
    )

    struct List: AsyncParsableCommand {
        static let configuration = CommandConfiguration(abstract: "Every worker: id, price, description.")
        @Flag(help: "Print them as JSON.") var json = false
        @OptionGroup var connection: ClientOptions

        func run() async throws {
            try await connection.call { seek in
                let workers = try await seek.workers()
                if json { return try Output.json(workers) }
                Output.table([["ID", "PRICE", "DESCRIPTION"]] + workers.map { [$0.id, Self.price($0.pricing), $0.description] })
            }
        }

        static func price(_ pricing: Components.Schemas.Pricing) -> String {
            if let perRun = pricing.creditsPerRun { return "\(perRun)/run" }
            if let perEvent = pricing.creditsPerEvent { return "\(perEvent)/\(pricing.event ?? "event")" }
            return "-"
        }
    }

    struct Show: AsyncParsableCommand {
        static let configuration = CommandConfiguration(abstract: "One worker, its schemas and pricing, as JSON.")
        @Argument var id: String
        @OptionGroup var connection: ClientOptions

        func run() async throws {
            try await connection.printJSON { try await $0.worker(id) }
        }
    }
}

struct JobsCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "jobs",
        abstract: "The workspace's jobs.",
        subcommands: [List.self, Show.self, Cancel.self, Watch.self]
    )

    struct List: AsyncParsableCommand {
        static let configuration = CommandConfiguration(abstract: "Recent jobs, newest first.")
        @Option(help: "Only this worker's.") var worker: String?
        @Option(help: "queued, running, completed, failed, timeout or cancelled.") var status: String?
        @Option(help: "At most this many (1–100).") var limit: Int?
        @Flag(help: "Print them as JSON.") var json = false
        @OptionGroup var connection: ClientOptions

        func run() async throws {
            let filter = try status.map { text in
                guard let status = Operations.ListJobs.Input.Query.StatusPayload(rawValue: text) else {
                    throw ValidationError("--status is one of queued, running, completed, failed, timeout, cancelled.")
                }
                return status
            }
            try await connection.call { seek in
                let jobs = try await seek.jobs(worker: worker, status: filter, limit: limit)
                if json { return try Output.json(jobs) }
                Output.table(
                    [["JOB", "WORKER", "STATUS", "CREATED", "CREDITS"]]
                        + jobs.map {
                            [$0.jobUuid, $0.worker, $0.status.rawValue, Timestamp.format($0.createdAt), $0.costCredits.map(String.init) ?? "-"]
                        }
                )
            }
        }
    }

    struct Show: AsyncParsableCommand {
        static let configuration = CommandConfiguration(abstract: "One job, as JSON.")
        @Argument var id: String
        @OptionGroup var connection: ClientOptions

        func run() async throws {
            try await connection.printJSON { try await $0.job(id) }
        }
    }

    struct Cancel: AsyncParsableCommand {
        static let configuration = CommandConfiguration(abstract: "Cancel a queued job (a running or ended one is a 409).")
        @Argument var id: String
        @OptionGroup var connection: ClientOptions

        func run() async throws {
            try await connection.printJSON { try await $0.cancel(job: id) }
        }
    }

    struct Watch: AsyncParsableCommand {
        static let configuration = CommandConfiguration(abstract: "Follow a job's events to its end; the exit status is the job's.")
        @Argument var id: String
        @Flag(help: "Print the job as JSON at its end.") var json = false
        @OptionGroup var connection: ClientOptions

        func run() async throws {
            try await connection.call { seek in
                let job = try await JobProgress(json: json).follow(seek) { onEvent in try await seek.waitForEnd(job: id, onEvent: onEvent) }
                try JobProgress.finish(job, json: json)
            }
        }
    }
}

struct FilesCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(commandName: "files", abstract: "Jobs' result files and uploads.", subcommands: [Get.self])

    struct Get: AsyncParsableCommand {
        static let configuration = CommandConfiguration(abstract: "Download a file.")
        @Argument var id: String
        @Option(name: .shortAndLong, help: "Where to write it.") var output: String
        @OptionGroup var connection: ClientOptions

        func run() async throws {
            try await connection.call { seek in
                let file = try await seek.file(id)
                let written = try await seek.download(file, to: URL(fileURLWithPath: output))
                Output.error("\(file.name): \(written) bytes → \(output)")
            }
        }
    }
}

struct BalanceCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(commandName: "credits", abstract: "The balance and the newest ledger entries.")
    @Flag(help: "Print them as JSON.") var json = false
    @OptionGroup var connection: ClientOptions

    func run() async throws {
        try await connection.call { seek in
            let credits = try await seek.credits()
            if json { return try Output.json(credits) }
            print("balance \(credits.balance), reserved \(credits.reserved), available \(credits.available)")
            Output.table(
                [["WHEN", "TYPE", "CREDITS", "JOB"]]
                    + credits.data.map { [Timestamp.format($0.createdAt), $0._type.rawValue, String($0.amount), $0.jobUuid ?? "-"] }
            )
        }
    }
}

struct KeysCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "keys",
        abstract: "The workspace's API keys.",
        subcommands: [List.self, Create.self, Revoke.self]
    )

    struct List: AsyncParsableCommand {
        static let configuration = CommandConfiguration(abstract: "Every key (never its secret).")
        @Flag(help: "Print them as JSON.") var json = false
        @OptionGroup var connection: ClientOptions

        func run() async throws {
            try await connection.call { seek in
                let keys = try await seek.keys()
                if json { return try Output.json(keys) }
                Output.table(
                    [["ID", "NAME", "PREFIX", "SCOPE", "LAST USED", "REVOKED"]]
                        + keys.map {
                            [
                                $0.id, $0.name, $0.prefix, $0.scope.rawValue, $0.lastUsedAt.map(Timestamp.format) ?? "-",
                                $0.revokedAt.map(Timestamp.format) ?? "-",
                            ]
                        }
                )
            }
        }
    }

    struct Create: AsyncParsableCommand {
        static let configuration = CommandConfiguration(abstract: "A new key; its secret is printed once.")
        @Argument var name: String
        @Option(help: "full or read (read keys may only GET).") var scope: String?
        @OptionGroup var connection: ClientOptions

        func run() async throws {
            let parsed = try scope.map { text in
                guard let scope = Components.Schemas.NewKey.ScopePayload(rawValue: text) else { throw ValidationError("--scope is full or read.") }
                return scope
            }
            try await connection.printJSON { try await $0.createKey(name: name, scope: parsed) }
        }
    }

    struct Revoke: AsyncParsableCommand {
        static let configuration = CommandConfiguration(abstract: "Revoke a key: it stops at once.")
        @Argument var id: String
        @OptionGroup var connection: ClientOptions

        func run() async throws {
            try await connection.printJSON { try await $0.revokeKey(id) }
        }
    }
}

struct LoginCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "login",
        abstract: "Check an API key against the server and save it for the other commands (a file of mode 0600)."
    )
    @OptionGroup var connection: ClientOptions

    func run() async throws {
        try await connection.call { seek in
            let me = try await seek.me()
            try Profile(apiKey: seek.apiKey, apiBase: seek.baseURL.absoluteString).save()
            print("Logged in to \(me.workspace.name) (\(me.workspace.id)) at \(seek.baseURL.absoluteString); saved in \(Profile.url.path).")
        }
    }
}
